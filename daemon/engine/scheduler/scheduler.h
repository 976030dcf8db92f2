// Scheduler: continuous batching. Each step it picks which tokens of which sequences the model
// runs: decode tokens of running sequences first, then prompt chunks, under a token budget,
// admitting waiting sequences while KV blocks last and preempting the newest when they run out.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "engine/scheduler/block_manager.h"
#include "engine/scheduler/sequence.h"

namespace disaggd::engine {

struct SchedulerConfig {
  /// Tokens per forward step, prompt chunks and decode tokens together (chunked prefill).
  uint32_t max_batched_tokens = 2048;
  /// Sequences running at once.
  uint32_t max_running = 256;
  /// Share of the pool a newly admitted sequence must leave free, so that running sequences can
  /// still grow a while before anyone is preempted.
  double admission_watermark = 0.01;
};

/// `count` tokens of `sequence` from position `start`, for one forward step.
struct ScheduledSlice {
  Sequence* sequence = nullptr;
  uint32_t start = 0;
  uint32_t count = 0;
  /// The slice ends at the sequence's last token: its logits give the next token.
  bool want_logits = false;
};

/// What one step runs, and what changed to make room.
struct StepPlan {
  std::vector<ScheduledSlice> slices;
  /// Sequences whose blocks were taken this step; they wait again and recompute later.
  std::vector<Sequence*> preempted;
  /// Sequences that cannot grow because the whole pool is too small for them (nothing else is
  /// left to preempt); the engine ends them ("length").
  std::vector<Sequence*> out_of_blocks;

  bool empty() const { return slices.empty(); }
};

/// Not thread-safe: the engine's step thread owns it. Sequences run in arrival order; a
/// preempted sequence goes back to the front of the queue.
class Scheduler {
 public:
  Scheduler(SchedulerConfig config, BlockManager& blocks);

  /// Queues `sequence` (no blocks, computed = 0, tokens not empty).
  void add(Sequence* sequence);
  /// Runs `sequence`, whose blocks already hold the keys and values of positions
  /// [0, computed) (a prompt pulled from a prefill node), from its next step on.
  void add_running(Sequence* sequence);
  /// Forgets `sequence` (finished or aborted), wherever it is, and releases its blocks.
  void remove(Sequence* sequence);

  /// Plans the next step and allocates the blocks it needs. After the forward pass the engine
  /// advances `computed` of each slice's sequence by its count.
  StepPlan schedule();

  std::size_t waiting() const { return waiting_.size(); }
  std::size_t running() const { return running_.size(); }
  const SchedulerConfig& config() const { return config_; }

 private:
  /// Gives `sequence` blocks for `tokens` positions; false when the pool has too few free.
  bool reserve(Sequence& sequence, uint64_t tokens);
  /// Takes the blocks of the newest running sequence and queues it first in line again.
  void preempt_newest(StepPlan& plan);
  void release_blocks(Sequence& sequence);

  SchedulerConfig config_;
  BlockManager& blocks_;
  std::deque<Sequence*> waiting_;
  std::vector<Sequence*> running_;  // in admission order
};

}  // namespace disaggd::engine
