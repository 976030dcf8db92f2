// Sequence: what the scheduler knows of one generation — its tokens, how many of them have keys
// and values in the KV pool, and the blocks that hold them.
#pragma once

#include <cstdint>
#include <vector>

namespace disaggd::engine {

/// One sequence being generated. Owned by the engine; the scheduler holds pointers to it from
/// add() until remove(). Touched only by the engine's step thread.
struct Sequence {
  uint64_t id = 0;
  /// The prompt followed by every token generated so far.
  std::vector<int32_t> tokens;
  /// How many of `tokens` are the prompt.
  uint32_t prompt_length = 0;
  /// Positions [0, computed) have their keys and values in the pool (in `blocks`).
  uint32_t computed = 0;
  /// Pool blocks of positions [0, blocks.size() * block_size), in order.
  std::vector<int32_t> blocks;
  /// How often the scheduler took its blocks away to make room (it recomputes them later).
  uint32_t preemptions = 0;

  /// Tokens waiting to be run through the model.
  uint32_t pending() const { return static_cast<uint32_t>(tokens.size()) - computed; }
};

}  // namespace disaggd::engine
