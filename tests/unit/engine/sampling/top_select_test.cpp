// select_top: the largest values first, lower ids first on ties, the same by heap and partition.
#include "engine/sampling/top_select.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace disaggd::engine {
namespace {

/// Every id of `values` sorted by ranks_before, the obvious way.
std::vector<int32_t> full_sort(const std::vector<float>& values) {
  std::vector<int32_t> ids(values.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int32_t a, int32_t b) { return values[a] > values[b]; });
  return ids;
}

TEST(TopSelectTest, LargestFirstLowerIdOnTies) {
  const std::vector<float> values = {1.0f, 5.0f, 3.0f, 5.0f, -1.0f, 3.0f};
  std::vector<int32_t> out;
  select_top(values, 4, out);
  EXPECT_EQ(out, (std::vector<int32_t>{1, 3, 2, 5}));
  select_top(values, 1, out);
  EXPECT_EQ(out, (std::vector<int32_t>{1}));
}

TEST(TopSelectTest, ClampsTheCountAndHandlesZero) {
  const std::vector<float> values = {2.0f, 1.0f};
  std::vector<int32_t> out = {7, 7, 7};
  select_top(values, 0, out);
  EXPECT_TRUE(out.empty());
  select_top(values, 10, out);
  EXPECT_EQ(out, (std::vector<int32_t>{0, 1}));
}

TEST(TopSelectTest, HeapAndPartitionMatchAFullSortWithManyTies) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> level(0, 40);  // Few distinct values: many ties
  std::vector<float> values(20000);
  for (float& v : values) {
    v = static_cast<float>(level(rng)) * 0.25f;
  }
  const std::vector<int32_t> expected = full_sort(values);
  std::vector<int32_t> all(values.size());
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);  // Subset order must not matter
  for (const std::size_t count : {1u, 2u, 50u, 512u, 513u, 5000u, 20000u}) {
    const std::vector<int32_t> want(expected.begin(), expected.begin() + count);
    std::vector<int32_t> heap;
    std::vector<int32_t> partition;
    std::vector<int32_t> automatic;
    select_top_heap(values, all, count, heap);
    select_top_partition(values, all, count, partition);
    select_top(values, count, automatic);
    EXPECT_EQ(heap, want) << count;
    EXPECT_EQ(partition, want) << count;
    EXPECT_EQ(automatic, want) << count;
  }
}

TEST(TopSelectTest, SelectsAmongASubsetOnly) {
  const std::vector<float> values = {9.0f, 1.0f, 8.0f, 2.0f, 7.0f, 2.0f};
  const std::vector<int32_t> ids = {5, 1, 3};
  std::vector<int32_t> out;
  select_top(values, ids, 2, out);
  EXPECT_EQ(out, (std::vector<int32_t>{3, 5}));
}

}  // namespace
}  // namespace disaggd::engine
