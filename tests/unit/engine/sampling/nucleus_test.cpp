// select_nucleus: the same set as sorting every token and cutting where the weight reaches the
// target, ties included, in increasing id order.
#include "engine/sampling/nucleus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace disaggd::engine {
namespace {

/// The nucleus by full sort, ids in increasing order.
std::vector<int32_t> sorted_nucleus(const std::vector<float>& logits,
                                    const std::vector<float>& weights, double target) {
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  double sum = 0;
  std::size_t kept = 0;
  while (kept < order.size() && sum < target) {
    sum += weights[static_cast<std::size_t>(order[kept++])];
  }
  order.resize(std::max<std::size_t>(kept, 1));
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<float> weights_of(const std::vector<float>& logits) {
  const float largest = *std::max_element(logits.begin(), logits.end());
  std::vector<float> weights;
  for (const float x : logits) {
    weights.push_back(std::exp(x - largest));
  }
  return weights;
}

TEST(NucleusTest, SmallExample) {
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, 2.0f, -1.0f};
  const std::vector<float> weights = {1.0f, 4.0f, 2.0f, 4.0f, 0.5f};  // Total 11.5
  NucleusScratch scratch;
  std::vector<int32_t> out;
  select_nucleus(logits, weights, 4.0, out, scratch);  // The first tie alone
  EXPECT_EQ(out, (std::vector<int32_t>{1}));
  select_nucleus(logits, weights, 4.5, out, scratch);  // Both ties
  EXPECT_EQ(out, (std::vector<int32_t>{1, 3}));
  select_nucleus(logits, weights, 9.0, out, scratch);
  EXPECT_EQ(out, (std::vector<int32_t>{1, 2, 3}));
  select_nucleus(logits, weights, 11.5, out, scratch);
  EXPECT_EQ(out, (std::vector<int32_t>{0, 1, 2, 3, 4}));
  select_nucleus(logits, weights, 0.0, out, scratch);  // At least one token
  EXPECT_EQ(out, (std::vector<int32_t>{1}));
  select_nucleus(logits, weights, 100.0, out, scratch);  // Unreachable: everything
  EXPECT_EQ(out.size(), 5u);
}

TEST(NucleusTest, MatchesAFullSortOnRandomLogitsWithTies) {
  std::mt19937 rng(21);
  NucleusScratch scratch;
  std::vector<int32_t> out;
  for (int round = 0; round < 300; ++round) {
    const std::size_t size = std::uniform_int_distribution<std::size_t>(1, 3000)(rng);
    const bool ties = round % 2 == 0;
    std::normal_distribution<float> normal(0.0f, round % 3 == 0 ? 0.5f : 4.0f);
    std::vector<float> logits(size);
    for (float& x : logits) {
      x = ties ? std::round(normal(rng)) : normal(rng);
    }
    const std::vector<float> weights = weights_of(logits);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    // Targets never sit exactly on a cumulative sum of a tie run: boundaries differ by rounding.
    const double target = total * std::uniform_real_distribution<double>(0.001, 0.999)(rng);
    select_nucleus(logits, weights, target, out, scratch);
    ASSERT_EQ(out, sorted_nucleus(logits, weights, target)) << "round " << round;
  }
}

TEST(NucleusTest, HandlesAFlatVocabularyInOnePass) {
  const std::vector<float> logits(151936, 0.5f);
  const std::vector<float> weights(logits.size(), 1.0f);
  NucleusScratch scratch;
  std::vector<int32_t> out;
  select_nucleus(logits, weights, 1000.0, out, scratch);
  ASSERT_EQ(out.size(), 1000u);
  EXPECT_EQ(out.front(), 0);
  EXPECT_EQ(out.back(), 999);
}

}  // namespace
}  // namespace disaggd::engine
