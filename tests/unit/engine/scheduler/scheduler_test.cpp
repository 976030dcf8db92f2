// Scheduler: admission by free blocks, chunked prefill under the token budget, decode first,
// preemption of the newest sequence, sequences the pool cannot hold.
#include "engine/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <memory>
#include <numeric>

namespace disaggd::engine {
namespace {

/// A sequence with a prompt of `prompt` tokens.
std::unique_ptr<Sequence> make_sequence(uint64_t id, uint32_t prompt) {
  auto sequence = std::make_unique<Sequence>();
  sequence->id = id;
  sequence->tokens.resize(prompt);
  std::iota(sequence->tokens.begin(), sequence->tokens.end(), 1);
  sequence->prompt_length = prompt;
  return sequence;
}

/// What the engine does after a forward step: advance computed, and append a sampled token to
/// every sequence whose slice wanted logits.
void run(const StepPlan& plan) {
  for (const ScheduledSlice& slice : plan.slices) {
    ASSERT_EQ(slice.start, slice.sequence->computed);
    slice.sequence->computed += slice.count;
    if (slice.want_logits) {
      slice.sequence->tokens.push_back(7);
    }
  }
}

SchedulerConfig config(uint32_t budget, double watermark = 0.0) {
  SchedulerConfig c;
  c.max_batched_tokens = budget;
  c.admission_watermark = watermark;
  return c;
}

TEST(SchedulerTest, APromptLongerThanTheBudgetIsPrefilledInChunks) {
  BlockManager blocks(16, 4);
  Scheduler scheduler(config(8), blocks);
  auto a = make_sequence(1, 20);
  scheduler.add(a.get());
  std::vector<uint32_t> chunks;
  for (int step = 0; step < 3; ++step) {
    const StepPlan plan = scheduler.schedule();
    ASSERT_EQ(plan.slices.size(), 1u);
    chunks.push_back(plan.slices[0].count);
    EXPECT_EQ(plan.slices[0].want_logits, step == 2);
    run(plan);
  }
  EXPECT_EQ(chunks, (std::vector<uint32_t>{8, 8, 4}));
  // The whole prompt's blocks were taken at admission.
  EXPECT_EQ(a->blocks.size(), 5u);
  // Then one decode token per step.
  const StepPlan decode = scheduler.schedule();
  ASSERT_EQ(decode.slices.size(), 1u);
  EXPECT_EQ(decode.slices[0].start, 20u);
  EXPECT_EQ(decode.slices[0].count, 1u);
  EXPECT_TRUE(decode.slices[0].want_logits);
}

TEST(SchedulerTest, DecodeTokensComeFirstAndNewPromptsJoinTheRunningBatch) {
  BlockManager blocks(64, 4);
  Scheduler scheduler(config(10), blocks);
  auto a = make_sequence(1, 6);
  scheduler.add(a.get());
  run(scheduler.schedule());  // a: prompt done, one token sampled
  auto b = make_sequence(2, 30);
  scheduler.add(b.get());
  const StepPlan plan = scheduler.schedule();
  ASSERT_EQ(plan.slices.size(), 2u);
  EXPECT_EQ(plan.slices[0].sequence, a.get());
  EXPECT_EQ(plan.slices[0].count, 1u);
  EXPECT_EQ(plan.slices[1].sequence, b.get());
  EXPECT_EQ(plan.slices[1].count, 9u);  // the rest of the budget
  EXPECT_FALSE(plan.slices[1].want_logits);
  EXPECT_EQ(scheduler.running(), 2u);
}

TEST(SchedulerTest, AdmissionWaitsForFreeBlocksAndKeepsArrivalOrder) {
  BlockManager blocks(6, 4);
  Scheduler scheduler(config(100), blocks);
  auto a = make_sequence(1, 16);  // 4 blocks
  auto b = make_sequence(2, 12);  // 3 blocks: does not fit next to a
  auto c = make_sequence(3, 4);   // 1 block: would fit, but must not overtake b
  scheduler.add(a.get());
  scheduler.add(b.get());
  scheduler.add(c.get());
  const StepPlan plan = scheduler.schedule();
  ASSERT_EQ(plan.slices.size(), 1u);
  EXPECT_EQ(plan.slices[0].sequence, a.get());
  EXPECT_EQ(scheduler.waiting(), 2u);
  run(plan);
  scheduler.remove(a.get());  // a finished: its blocks come back
  EXPECT_EQ(blocks.free_blocks(), 6u);
  const StepPlan next = scheduler.schedule();
  ASSERT_EQ(next.slices.size(), 2u);
  EXPECT_EQ(next.slices[0].sequence, b.get());
  EXPECT_EQ(next.slices[1].sequence, c.get());
}

TEST(SchedulerTest, TheWatermarkKeepsRoomForRunningSequencesToGrow) {
  BlockManager blocks(100, 4);
  Scheduler scheduler(config(1000, 0.1), blocks);  // 10 blocks held back
  auto a = make_sequence(1, 4);
  auto b = make_sequence(2, 4 * 90);  // 90 blocks fit in the 99 free, but not with 10 held back
  scheduler.add(a.get());
  scheduler.add(b.get());
  const StepPlan plan = scheduler.schedule();
  ASSERT_EQ(plan.slices.size(), 1u);
  EXPECT_EQ(scheduler.waiting(), 1u);
}

TEST(SchedulerTest, RunningOutOfBlocksPreemptsTheNewestAndItRecomputesLater) {
  BlockManager blocks(4, 2);
  Scheduler scheduler(config(100), blocks);
  auto a = make_sequence(1, 4);  // 2 blocks
  auto b = make_sequence(2, 4);  // 2 blocks
  scheduler.add(a.get());
  scheduler.add(b.get());
  run(scheduler.schedule());  // both prefilled, each has a 5th token: needs a 3rd block
  ASSERT_EQ(blocks.free_blocks(), 0u);
  const StepPlan plan = scheduler.schedule();
  ASSERT_EQ(plan.preempted.size(), 1u);
  EXPECT_EQ(plan.preempted[0], b.get());
  ASSERT_EQ(plan.slices.size(), 1u);
  EXPECT_EQ(plan.slices[0].sequence, a.get());
  EXPECT_EQ(b->computed, 0u);
  EXPECT_TRUE(b->blocks.empty());
  EXPECT_EQ(b->preemptions, 1u);
  EXPECT_EQ(scheduler.waiting(), 1u);
  run(plan);
  scheduler.remove(a.get());
  // b comes back and recomputes its prompt and the token it had generated, in one slice.
  const StepPlan again = scheduler.schedule();
  ASSERT_EQ(again.slices.size(), 1u);
  EXPECT_EQ(again.slices[0].sequence, b.get());
  EXPECT_EQ(again.slices[0].start, 0u);
  EXPECT_EQ(again.slices[0].count, 5u);
  EXPECT_TRUE(again.slices[0].want_logits);
}

TEST(SchedulerTest, APreemptedSequenceGetsNoSliceInThatStep) {
  BlockManager blocks(5, 2);
  Scheduler scheduler(config(100), blocks);
  auto a = make_sequence(1, 4);
  auto b = make_sequence(2, 2);
  auto c = make_sequence(3, 2);
  scheduler.add(a.get());
  scheduler.add(b.get());
  scheduler.add(c.get());
  run(scheduler.schedule());  // a: 2 blocks, b: 1, c: 1, one free
  // a needs a block (takes the free one), b needs one: c (newest) is preempted and gets no
  // slice, not even through admission (its 3 tokens need 2 blocks).
  const StepPlan plan = scheduler.schedule();
  for (const ScheduledSlice& slice : plan.slices) {
    EXPECT_NE(slice.sequence, c.get());
  }
  EXPECT_EQ(plan.preempted, std::vector<Sequence*>{c.get()});
  EXPECT_EQ(plan.slices.size(), 2u);
}

TEST(SchedulerTest, ASequenceThePoolCannotHoldIsReportedNotLooped) {
  BlockManager blocks(2, 2);
  Scheduler scheduler(config(100), blocks);
  auto big = make_sequence(1, 6);  // 3 blocks > the pool
  scheduler.add(big.get());
  StepPlan plan = scheduler.schedule();
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.out_of_blocks, std::vector<Sequence*>{big.get()});
  EXPECT_EQ(scheduler.waiting(), 0u);

  auto grows = make_sequence(2, 4);  // fits, then grows beyond the pool alone
  scheduler.add(grows.get());
  run(scheduler.schedule());
  plan = scheduler.schedule();
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.out_of_blocks, std::vector<Sequence*>{grows.get()});
  EXPECT_EQ(scheduler.running(), 0u);
  scheduler.remove(grows.get());
  EXPECT_EQ(blocks.free_blocks(), 2u);
}

TEST(SchedulerTest, TheNewestSequenceYieldsItselfWhenOnlyOlderOnesHoldBlocks) {
  BlockManager blocks(4, 2);
  Scheduler scheduler(config(100), blocks);
  auto a = make_sequence(1, 5);  // 3 blocks
  auto b = make_sequence(2, 2);  // 1 block
  scheduler.add(a.get());
  scheduler.add(b.get());
  run(scheduler.schedule());
  // a (6 tokens, 3 blocks) fits; b (3 tokens) needs a second block: b is the newest, so b yields,
  // a keeps running.
  const StepPlan plan = scheduler.schedule();
  EXPECT_EQ(plan.preempted, std::vector<Sequence*>{b.get()});
  ASSERT_EQ(plan.slices.size(), 1u);
  EXPECT_EQ(plan.slices[0].sequence, a.get());
  EXPECT_EQ(scheduler.running(), 1u);
  EXPECT_EQ(scheduler.waiting(), 1u);
}

TEST(SchedulerTest, RemovingAWaitingOrRunningSequenceFreesItsBlocks) {
  BlockManager blocks(8, 4);
  Scheduler scheduler(config(4), blocks);
  auto a = make_sequence(1, 12);
  scheduler.add(a.get());
  run(scheduler.schedule());  // first chunk of 4 of 12
  EXPECT_EQ(blocks.free_blocks(), 5u);
  scheduler.remove(a.get());  // aborted mid-prefill
  EXPECT_EQ(blocks.free_blocks(), 8u);
  EXPECT_EQ(scheduler.running(), 0u);
  EXPECT_TRUE(scheduler.schedule().empty());
}

TEST(SchedulerTest, MaxRunningCapsTheBatch) {
  BlockManager blocks(64, 4);
  SchedulerConfig c = config(1000);
  c.max_running = 2;
  Scheduler scheduler(c, blocks);
  auto a = make_sequence(1, 4);
  auto b = make_sequence(2, 4);
  auto d = make_sequence(3, 4);
  scheduler.add(a.get());
  scheduler.add(b.get());
  scheduler.add(d.get());
  EXPECT_EQ(scheduler.schedule().slices.size(), 2u);
  EXPECT_EQ(scheduler.waiting(), 1u);
}

}  // namespace
}  // namespace disaggd::engine
