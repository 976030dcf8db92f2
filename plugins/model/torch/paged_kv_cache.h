// PagedKvCache: the KV pool of the torch backend — fixed-size blocks, addressed through
// per-sequence block tables. Block-major: one block holds its tokens' keys and values for every
// layer in one contiguous run of bytes, so a migration moves a block (or a run of adjacent blocks)
// with a single copy.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace disaggd::torch_backend {

class PagedKvCache {
 public:
  /// Allocates (zeroed) `num_blocks` blocks of `block_size` tokens on `device`.
  PagedKvCache(int64_t num_layers, int64_t num_blocks, int64_t block_size, int64_t num_kv_heads,
               int64_t head_dim, at::ScalarType dtype, at::Device device);

  /// Stores keys and values ([tokens, kv_heads, head_dim], any float dtype; rounded to the pool's)
  /// of `layer` at slots given by `block_ids` and `offsets` ([tokens] int64 each, on the pool's
  /// device). On the CPU, float32 keys and values are copied by a plain loop.
  void write(int64_t layer, const at::Tensor& block_ids, const at::Tensor& offsets,
             const at::Tensor& keys, const at::Tensor& values);

  /// Keys and values of `layer` for the first `length` tokens of the sequence whose blocks are
  /// `block_table` ([blocks] int64): two tensors [length, kv_heads, head_dim] in the pool's dtype.
  std::pair<at::Tensor, at::Tensor> gather(int64_t layer, const at::Tensor& block_table,
                                           int64_t length) const;

  int64_t num_blocks() const { return pool_.size(0); }
  int64_t block_size() const { return pool_.size(3); }
  int64_t bytes_per_block() const { return pool_.stride(0) * pool_.element_size(); }
  void* data() const { return pool_.data_ptr(); }
  int64_t bytes() const { return pool_.numel() * pool_.element_size(); }
  at::Device device() const { return pool_.device(); }
  at::ScalarType dtype() const { return pool_.scalar_type(); }
  /// [num_blocks, num_layers, 2 (key, value), block_size, kv_heads, head_dim], for kernels that
  /// read the blocks in place.
  const at::Tensor& pool() const { return pool_; }

 private:
  /// write() for float32 keys and values whose heads are contiguous, into a CPU pool.
  void write_cpu(int64_t layer, const at::Tensor& block_ids, const at::Tensor& offsets,
                 const at::Tensor& keys, const at::Tensor& values);

  // [num_blocks, num_layers, 2 (key, value), block_size, kv_heads, head_dim]
  at::Tensor pool_;
};

}  // namespace disaggd::torch_backend
