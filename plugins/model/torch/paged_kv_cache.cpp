// The paged KV pool.
#include "paged_kv_cache.h"

namespace disaggd::torch_backend {

PagedKvCache::PagedKvCache(int64_t num_layers, int64_t num_blocks, int64_t block_size,
                           int64_t num_kv_heads, int64_t head_dim, at::ScalarType dtype,
                           at::Device device)
    : pool_(at::zeros({num_blocks, num_layers, 2, block_size, num_kv_heads, head_dim},
                      at::TensorOptions().dtype(dtype).device(device))) {}

void PagedKvCache::write(int64_t layer, const at::Tensor& block_ids, const at::Tensor& offsets,
                         const at::Tensor& keys, const at::Tensor& values) {
  // Views [num_blocks, block_size, kv_heads, head_dim] with a stride between blocks; advanced
  // indexing writes straight into the pool.
  at::Tensor layer_view = pool_.select(1, layer);
  layer_view.select(1, 0).index_put_({block_ids, offsets}, keys);
  layer_view.select(1, 1).index_put_({block_ids, offsets}, values);
}

std::pair<at::Tensor, at::Tensor> PagedKvCache::gather(int64_t layer, const at::Tensor& block_table,
                                                       int64_t length) const {
  // [blocks, 2, block_size, kv_heads, head_dim], copied out of the pool in block-table order.
  const at::Tensor blocks = pool_.select(1, layer).index_select(0, block_table);
  const int64_t slots = blocks.size(0) * blocks.size(2);
  const at::Tensor keys =
      blocks.select(1, 0).reshape({slots, blocks.size(3), blocks.size(4)}).narrow(0, 0, length);
  const at::Tensor values =
      blocks.select(1, 1).reshape({slots, blocks.size(3), blocks.size(4)}).narrow(0, 0, length);
  return {keys, values};
}

}  // namespace disaggd::torch_backend
