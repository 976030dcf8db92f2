// The free list and reference counts.
#include "engine/scheduler/block_manager.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace disaggd::engine {

BlockManager::BlockManager(uint32_t num_blocks, uint32_t block_size)
    : block_size_(block_size), ref_counts_(num_blocks, 0), free_(num_blocks) {
  assert(block_size > 0);
  // Lowest ids on top of the stack, so a fresh pool hands out 0, 1, 2, ...
  std::iota(free_.rbegin(), free_.rend(), 0);
}

uint32_t BlockManager::blocks_for(uint64_t tokens) const {
  return static_cast<uint32_t>((tokens + block_size_ - 1) / block_size_);
}

std::optional<std::vector<int32_t>> BlockManager::allocate(uint32_t count) {
  if (count > free_.size()) {
    return std::nullopt;
  }
  std::vector<int32_t> blocks(free_.end() - count, free_.end());
  free_.resize(free_.size() - count);
  std::reverse(blocks.begin(), blocks.end());
  for (int32_t block : blocks) {
    ref_counts_[static_cast<std::size_t>(block)] = 1;
  }
  return blocks;
}

void BlockManager::retain(std::span<const int32_t> blocks) {
  for (int32_t block : blocks) {
    uint32_t& count = ref_counts_.at(static_cast<std::size_t>(block));
    assert(count > 0 && "retain of a free block");
    ++count;
  }
}

void BlockManager::release(std::span<const int32_t> blocks) {
  for (int32_t block : blocks) {
    uint32_t& count = ref_counts_.at(static_cast<std::size_t>(block));
    assert(count > 0 && "release of a free block");
    if (count > 0 && --count == 0) {
      free_.push_back(block);
    }
  }
}

uint32_t BlockManager::ref_count(int32_t block) const {
  return ref_counts_.at(static_cast<std::size_t>(block));
}

}  // namespace disaggd::engine
