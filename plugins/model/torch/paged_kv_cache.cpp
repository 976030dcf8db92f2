// The paged KV pool.
#include "paged_kv_cache.h"

#include <c10/util/BFloat16.h>

#include <cstring>

namespace disaggd::torch_backend {

PagedKvCache::PagedKvCache(int64_t num_layers, int64_t num_blocks, int64_t block_size,
                           int64_t num_kv_heads, int64_t head_dim, at::ScalarType dtype,
                           at::Device device)
    : pool_(at::zeros({num_blocks, num_layers, 2, block_size, num_kv_heads, head_dim},
                      at::TensorOptions().dtype(dtype).device(device))) {}

namespace {

/// Heads of one token next to each other: row t at data + t * stride(0).
bool rows_of_heads(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat && t.dim() == 3 && t.stride(2) == 1 &&
         t.stride(1) == t.size(2);
}

}  // namespace

void PagedKvCache::write(int64_t layer, const at::Tensor& block_ids, const at::Tensor& offsets,
                         const at::Tensor& keys, const at::Tensor& values) {
  if (pool_.is_cpu() && rows_of_heads(keys) && rows_of_heads(values)) {
    write_cpu(layer, block_ids, offsets, keys, values);
    return;
  }
  // Views [num_blocks, block_size, kv_heads, head_dim] with a stride between blocks; advanced
  // indexing writes straight into the pool.
  at::Tensor layer_view = pool_.select(1, layer);
  layer_view.select(1, 0).index_put_({block_ids, offsets}, keys.to(pool_.scalar_type()));
  layer_view.select(1, 1).index_put_({block_ids, offsets}, values.to(pool_.scalar_type()));
}

void PagedKvCache::write_cpu(int64_t layer, const at::Tensor& block_ids, const at::Tensor& offsets,
                             const at::Tensor& keys, const at::Tensor& values) {
  const int64_t tokens = keys.size(0);
  const int64_t width = keys.size(1) * keys.size(2);
  TORCH_CHECK(block_ids.scalar_type() == at::kLong && offsets.scalar_type() == at::kLong &&
                  block_ids.numel() == tokens && offsets.numel() == tokens &&
                  values.size(0) == tokens && values.size(1) * values.size(2) == width &&
                  width == pool_.size(4) * pool_.size(5),
              "PagedKvCache::write: mismatched keys, values and slots");
  const at::Tensor blocks = block_ids.contiguous();
  const at::Tensor slots = offsets.contiguous();
  const bool bf16 = pool_.scalar_type() == at::kBFloat16;
  char* base = static_cast<char*>(pool_.data_ptr());
  const int64_t element = pool_.element_size();
  for (int64_t t = 0; t < tokens; ++t) {
    const int64_t at_slot = blocks.data_ptr<int64_t>()[t] * pool_.stride(0) +
                            layer * pool_.stride(1) +
                            slots.data_ptr<int64_t>()[t] * pool_.stride(3);
    for (int kv = 0; kv < 2; ++kv) {
      const at::Tensor& source = kv == 0 ? keys : values;
      const float* from = source.data_ptr<float>() + t * source.stride(0);
      char* to = base + (at_slot + kv * pool_.stride(2)) * element;
      if (bf16) {
        auto* out = reinterpret_cast<c10::BFloat16*>(to);
        for (int64_t i = 0; i < width; ++i) {
          out[i] = c10::BFloat16(from[i]);  // round to nearest even, as Tensor::to
        }
      } else {
        std::memcpy(to, from, static_cast<std::size_t>(width) * sizeof(float));
      }
    }
  }
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
