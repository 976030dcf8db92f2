// Step planning: decode first, then chunks of prompts, admission by free blocks, preemption.
#include "engine/scheduler/scheduler.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace disaggd::engine {

Scheduler::Scheduler(SchedulerConfig config, BlockManager& blocks)
    : config_(config), blocks_(blocks) {
  assert(config_.max_batched_tokens > 0 && config_.max_running > 0);
}

void Scheduler::add(Sequence* sequence) {
  assert(sequence != nullptr && !sequence->tokens.empty() && sequence->blocks.empty());
  waiting_.push_back(sequence);
}

void Scheduler::add_running(Sequence* sequence) {
  assert(sequence != nullptr && sequence->blocks.size() >= blocks_.blocks_for(sequence->computed));
  running_.push_back(sequence);
}

void Scheduler::remove(Sequence* sequence) {
  std::erase(running_, sequence);
  std::erase(waiting_, sequence);
  release_blocks(*sequence);
}

void Scheduler::release_blocks(Sequence& sequence) {
  blocks_.release(sequence.blocks);
  sequence.blocks.clear();
  sequence.computed = 0;
}

bool Scheduler::reserve(Sequence& sequence, uint64_t tokens) {
  const uint32_t needed = blocks_.blocks_for(tokens);
  if (needed <= sequence.blocks.size()) {
    return true;
  }
  auto more = blocks_.allocate(needed - static_cast<uint32_t>(sequence.blocks.size()));
  if (!more) {
    return false;
  }
  sequence.blocks.insert(sequence.blocks.end(), more->begin(), more->end());
  return true;
}

void Scheduler::preempt_newest(StepPlan& plan) {
  Sequence* victim = running_.back();
  running_.pop_back();
  release_blocks(*victim);
  ++victim->preemptions;
  waiting_.push_front(victim);
  plan.preempted.push_back(victim);
}

StepPlan Scheduler::schedule() {
  StepPlan plan;
  uint32_t budget = config_.max_batched_tokens;

  // Running sequences, oldest first: a decode token each, or the next chunk of their prompt.
  for (std::size_t i = 0; i < running_.size() && budget > 0;) {
    Sequence* sequence = running_[i];
    const uint32_t count = std::min(sequence->pending(), budget);
    if (count == 0) {
      ++i;
      continue;
    }
    bool fits = reserve(*sequence, uint64_t{sequence->computed} + count);
    // Make room by preempting the newest sequences: they come after this one, so nothing planned
    // is lost. When this one is the newest, it yields itself.
    while (!fits && running_.back() != sequence) {
      preempt_newest(plan);
      fits = reserve(*sequence, uint64_t{sequence->computed} + count);
    }
    if (!fits) {
      if (running_.size() == 1) {
        // Nothing else holds blocks: the pool itself is too small for this sequence.
        running_.pop_back();
        plan.out_of_blocks.push_back(sequence);
      } else {
        preempt_newest(plan);
      }
      break;  // this was the newest: no running sequence is left after it
    }
    plan.slices.push_back({sequence, sequence->computed, count,
                           sequence->computed + count == sequence->tokens.size()});
    budget -= count;
    ++i;
  }

  // Admit waiting sequences in order while blocks for their whole known tokens are free beyond
  // the watermark; never skip ahead of the first one that does not fit (no starvation).
  const auto watermark = static_cast<uint32_t>(
      std::floor(config_.admission_watermark * static_cast<double>(blocks_.num_blocks())));
  while (!waiting_.empty() && budget > 0 && running_.size() < config_.max_running) {
    Sequence* sequence = waiting_.front();
    const uint32_t needed = blocks_.blocks_for(sequence->tokens.size());
    const bool alone = running_.empty();
    if (needed + (alone ? 0 : watermark) > blocks_.free_blocks()) {
      if (alone && needed > blocks_.num_blocks()) {
        waiting_.pop_front();
        plan.out_of_blocks.push_back(sequence);
        continue;
      }
      break;
    }
    waiting_.pop_front();
    const bool reserved = reserve(*sequence, sequence->tokens.size());
    assert(reserved);
    (void)reserved;
    running_.push_back(sequence);
    const uint32_t count = std::min(sequence->pending(), budget);
    plan.slices.push_back({sequence, sequence->computed, count,
                           sequence->computed + count == sequence->tokens.size()});
    budget -= count;
  }
  return plan;
}

}  // namespace disaggd::engine
