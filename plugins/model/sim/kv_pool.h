// KvPool: the sim backend's KV cache, real host memory in the torch backend's block-major layout
// [num_blocks, num_layers, 2 (key, value), block_size, kv_heads, head_dim], so that migration
// backends and the engine see exactly what a real backend offers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "disaggd/model.h"

namespace disaggd::sim_backend {

/// The shape of the pool's blocks.
struct KvGeometry {
  uint32_t num_layers = 0;
  uint32_t num_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t block_size = 0;
  disaggd_dtype dtype = DISAGGD_DTYPE_BF16;  ///< F32, BF16 or F16.

  /// Bytes of one element of `dtype`.
  std::size_t element_size() const;
  /// Bytes of one token's keys (or values) in one layer: kv_heads * head_dim elements.
  std::size_t slot_bytes() const;
  /// Bytes of one block: layers * 2 * block_size slots. Throws sdk::Error when it does not fit.
  uint64_t bytes_per_block() const;
};

/// A zero-filled, page-aligned pool of `num_blocks` blocks. Not copyable.
class KvPool {
 public:
  /// Maps the pool (anonymous memory: pages are zero and only become resident when written).
  /// Throws sdk::Error (OUT_OF_MEMORY) when the memory cannot be had.
  KvPool(const KvGeometry& geometry, uint32_t num_blocks);
  ~KvPool();
  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  const KvGeometry& geometry() const { return geometry_; }
  uint32_t num_blocks() const { return num_blocks_; }
  uint64_t bytes_per_block() const { return bytes_per_block_; }
  /// Bytes of the whole pool.
  uint64_t bytes() const { return bytes_per_block_ * num_blocks_; }
  /// First byte of the pool.
  uint8_t* data() const { return data_; }

  /// First byte of the slot of token `offset` (< block_size) of `block`, layer `layer`, keys
  /// (`kv` 0) or values (`kv` 1). Unchecked: the SDK has validated the block ids.
  uint8_t* slot(uint32_t block, uint32_t layer, uint32_t kv, uint32_t offset) const {
    return data_ + block * bytes_per_block_ +
           ((static_cast<uint64_t>(layer) * 2 + kv) * geometry_.block_size + offset) * slot_bytes_;
  }

  /// The slot of `position` of a sequence whose blocks are `block_table`.
  uint8_t* slot_at(const int32_t* block_table, uint32_t position, uint32_t layer,
                   uint32_t kv) const {
    return slot(static_cast<uint32_t>(block_table[position / geometry_.block_size]), layer, kv,
                position % geometry_.block_size);
  }

 private:
  KvGeometry geometry_;
  uint32_t num_blocks_;
  uint64_t bytes_per_block_;
  std::size_t slot_bytes_;
  uint8_t* data_ = nullptr;
};

}  // namespace disaggd::sim_backend
