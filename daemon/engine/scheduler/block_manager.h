// BlockManager: the KV blocks of one model backend's pool — which are free, and how many holders
// each allocated block has.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace disaggd::engine {

/// Hands out block ids [0, num_blocks) of the backend's KV pool. A block is free while its
/// reference count is 0; allocate() returns blocks with count 1, retain() adds a holder (a pinned
/// cache handle, a migration in flight), release() drops one and frees the block at 0.
/// Not thread-safe: the engine's step thread owns it.
class BlockManager {
 public:
  BlockManager(uint32_t num_blocks, uint32_t block_size);

  uint32_t num_blocks() const { return static_cast<uint32_t>(ref_counts_.size()); }
  uint32_t block_size() const { return block_size_; }
  uint32_t free_blocks() const { return static_cast<uint32_t>(free_.size()); }
  uint32_t used_blocks() const { return num_blocks() - free_blocks(); }

  /// Blocks needed to hold `tokens` positions.
  uint32_t blocks_for(uint64_t tokens) const;

  /// `count` free blocks, each with reference count 1; nullopt (nothing taken) when fewer are free.
  std::optional<std::vector<int32_t>> allocate(uint32_t count);

  /// One more holder for each of `blocks` (all must be allocated).
  void retain(std::span<const int32_t> blocks);

  /// One holder less for each of `blocks`; a block whose count reaches 0 is free again.
  void release(std::span<const int32_t> blocks);

  /// The reference count of `block` (0 when free).
  uint32_t ref_count(int32_t block) const;

 private:
  uint32_t block_size_;
  std::vector<uint32_t> ref_counts_;
  std::vector<int32_t> free_;  // a stack: recently freed blocks are reused first (warm in cache)
};

}  // namespace disaggd::engine
