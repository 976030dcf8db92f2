// BlockManager: allocation, reference counts, release.
#include "engine/scheduler/block_manager.h"

#include <gtest/gtest.h>

#include <set>

namespace disaggd::engine {
namespace {

TEST(BlockManagerTest, AllocatesDistinctBlocksUntilThePoolIsEmpty) {
  BlockManager blocks(10, 16);
  EXPECT_EQ(blocks.free_blocks(), 10u);
  auto a = blocks.allocate(4);
  auto b = blocks.allocate(6);
  ASSERT_TRUE(a && b);
  std::set<int32_t> seen(a->begin(), a->end());
  seen.insert(b->begin(), b->end());
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), 9);
  EXPECT_EQ(blocks.free_blocks(), 0u);
  EXPECT_EQ(blocks.used_blocks(), 10u);
  EXPECT_FALSE(blocks.allocate(1));
}

TEST(BlockManagerTest, AFailedAllocationTakesNothing) {
  BlockManager blocks(5, 16);
  ASSERT_TRUE(blocks.allocate(3));
  EXPECT_FALSE(blocks.allocate(3));
  EXPECT_EQ(blocks.free_blocks(), 2u);
  EXPECT_TRUE(blocks.allocate(2));
}

TEST(BlockManagerTest, ABlockIsFreeOnlyWhenEveryHolderReleasedIt) {
  BlockManager blocks(4, 16);
  auto a = blocks.allocate(2);
  ASSERT_TRUE(a);
  blocks.retain(*a);  // e.g. a pinned cache handle
  EXPECT_EQ(blocks.ref_count((*a)[0]), 2u);
  blocks.release(*a);
  EXPECT_EQ(blocks.free_blocks(), 2u);
  EXPECT_EQ(blocks.ref_count((*a)[1]), 1u);
  blocks.release(*a);
  EXPECT_EQ(blocks.free_blocks(), 4u);
  EXPECT_EQ(blocks.ref_count((*a)[0]), 0u);
}

TEST(BlockManagerTest, ReleasedBlocksAreReused) {
  BlockManager blocks(3, 16);
  auto a = blocks.allocate(3);
  ASSERT_TRUE(a);
  blocks.release(std::vector<int32_t>{(*a)[1]});
  auto b = blocks.allocate(1);
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)[0], (*a)[1]);
}

TEST(BlockManagerTest, BlocksForRoundsUp) {
  BlockManager blocks(8, 16);
  EXPECT_EQ(blocks.blocks_for(0), 0u);
  EXPECT_EQ(blocks.blocks_for(1), 1u);
  EXPECT_EQ(blocks.blocks_for(16), 1u);
  EXPECT_EQ(blocks.blocks_for(17), 2u);
}

}  // namespace
}  // namespace disaggd::engine
