// Tests of the `min_expected_latency` routing plugin, loaded from the build tree through the host.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing_test_support.h"

namespace disaggd::test {
namespace {

using core::RoutingNodeStats;
using core::RoutingStrategy;
using core::StatusCode;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr char kName[] = "min_expected_latency";

std::unique_ptr<RoutingStrategy> seeded(const std::string& seed = "42") {
  return created(kName, {option("seed", seed)});
}

// Nodes 0..n-1 with the given (speed, in_flight) pairs.
std::vector<RoutingNodeStats> loaded(const std::vector<std::pair<double, unsigned>>& nodes) {
  std::vector<RoutingNodeStats> result;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    result.push_back(node(i, nodes[i].first, nodes[i].second));
  }
  return result;
}

TEST(MinExpectedLatencyRoutingTest, LoadsWithItsDescriptor) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(strategy->info().name, kName);
  EXPECT_EQ(strategy->info().version, "0.1.0");
  EXPECT_FALSE(strategy->info().description.empty());
}

TEST(MinExpectedLatencyRoutingTest, PicksTheLeastInFlightPlusOneOverSpeed) {
  // Scores (in_flight + 1) / speed: 4, 3, 2.5.
  expect_always(kName, loaded({{1.0, 3}, {2.0, 5}, {4.0, 9}}), 2);
  // A slow idle node beats a fast busy one: 1 / 1 = 1 < (3 + 1) / 2 = 2.
  expect_always(kName, loaded({{2.0, 3}, {1.0, 0}}), 1);
  // A fast busy node beats a slow lightly loaded one: (7 + 1) / 10 = 0.8 < (1 + 1) / 2 = 1.
  expect_always(kName, loaded({{2.0, 1}, {10.0, 7}}), 1);
}

TEST(MinExpectedLatencyRoutingTest, PrefersTheFasterNodeWhenIdle) {
  // LMDeploy's in_flight / speed scores both 0 here and picks either.
  expect_always(kName, loaded({{1.0, 0}, {3.0, 0}}), 1);
  expect_always(kName, loaded({{5.0, 0}, {1.0, 0}, {2.0, 0}}), 0);
}

TEST(MinExpectedLatencyRoutingTest, CountsTheNewRequestInTheScore) {
  // (1 + 1) / 2 == (0 + 1) / 1: a tie, so both are picked. Without the +1 the scores would be
  // 0.5 and 0 and node 1 would always win.
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = loaded({{2.0, 1}, {1.0, 0}});
  expect_distribution(count_picks(*strategy, nodes, 20000), uniform(2));
}

TEST(MinExpectedLatencyRoutingTest, TiesAreSpreadEvenly) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = loaded({{0.0, 2}, {0.0, 2}, {0.0, 2}, {0.0, 2}});
  expect_distribution(count_picks(*strategy, nodes, 40000), uniform(4));
}

TEST(MinExpectedLatencyRoutingTest, TiesAreBrokenOnlyAmongTheBest) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = loaded({{1.0, 0}, {0.5, 0}, {1.0, 0}, {2.0, 3}});
  const std::vector<std::size_t> counts = count_picks(*strategy, nodes, 20000);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[3], 0u);
  expect_distribution({counts[0], counts[2]}, uniform(2));
}

TEST(MinExpectedLatencyRoutingTest, UnconfiguredSpeedCountsAsTheMeanConfiguredSpeed) {
  // Node 1 counts as speed 4 (the mean of the configured ones): (1 + 1) / 4 = 0.5 beats
  // (5 + 1) / 4 = 1.5. Had it counted as speed 1, its score 2 would lose.
  for (const double unset : {0.0, -1.0, kNaN, kInf}) {
    expect_always(kName, loaded({{4.0, 5}, {unset, 1}}), 1);
  }
  // Mean of 2 and 6 is 4: (2 + 1) / 4 = 0.75 < (2 + 1) / 2 = 1.5 and < (5 + 1) / 6 = 1.
  expect_always(kName, loaded({{2.0, 2}, {0.0, 2}, {6.0, 5}}), 1);
}

TEST(MinExpectedLatencyRoutingTest, AllSpeedsUnusableMeansEqualSpeeds) {
  for (const double speed : {0.0, -3.0, kNaN}) {
    expect_always(kName, loaded({{speed, 3}, {speed, 1}, {speed, 2}}), 1);
  }
}

TEST(MinExpectedLatencyRoutingTest, ExtremeValuesNeverBreakTheChoice) {
  const double huge = std::numeric_limits<double>::max();
  const double tiny = std::numeric_limits<double>::denorm_min();
  const unsigned most = std::numeric_limits<std::uint32_t>::max();
  // A tiny speed gives an infinite score, which still loses to any finite one.
  expect_always(kName, loaded({{tiny, 0}, {1.0, 1000}}), 1);
  // Huge speeds: scores stay finite and ordered; the unconfigured node counts as huge too.
  expect_always(kName, loaded({{huge, 10}, {huge, 3}, {0.0, 7}}), 1);
  // The largest in_flight the ABI can carry.
  expect_always(kName, loaded({{1.0, most}, {1.0, most - 1}}), 1);
  // Two infinite scores tie; either is fine, but the pick must be valid.
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = loaded({{tiny, 0}, {tiny, 5}});
  const std::vector<std::size_t> counts = count_picks(*strategy, nodes, 1000);
  EXPECT_EQ(counts[0] + counts[1], 1000u);
}

TEST(MinExpectedLatencyRoutingTest, SingleCandidateIsAlwaysPicked) {
  expect_always(kName, loaded({{0.0, 100}}), 0);
  expect_always(kName, loaded({{kNaN, 0}}), 0);
}

TEST(MinExpectedLatencyRoutingTest, NoCandidatesIsUnavailable) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const core::Result<std::size_t> chosen = strategy->select(request(), {});
  ASSERT_FALSE(chosen.ok());
  EXPECT_EQ(chosen.status().code(), StatusCode::kUnavailable);

  const RawSelectResult raw = raw_select_without_candidates(kName);
  EXPECT_EQ(raw.status, DISAGGD_STATUS_UNAVAILABLE);
  EXPECT_THAT(raw.message, ::testing::HasSubstr("no candidate"));
}

TEST(MinExpectedLatencyRoutingTest, SameSeedGivesTheSameTieBreaks) {
  const std::vector<RoutingNodeStats> nodes = loaded({{1.0, 0}, {1.0, 0}, {1.0, 0}, {1.0, 0}});
  std::unique_ptr<RoutingStrategy> first = seeded("7");
  std::unique_ptr<RoutingStrategy> second = seeded("7");
  std::unique_ptr<RoutingStrategy> other = seeded("8");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_NE(other, nullptr);
  const std::vector<std::size_t> sequence = pick_sequence(*first, nodes, 1000);
  EXPECT_EQ(sequence, pick_sequence(*second, nodes, 1000));
  EXPECT_NE(sequence, pick_sequence(*other, nodes, 1000));
}

TEST(MinExpectedLatencyRoutingTest, RejectsBadOptions) {
  expect_rejected(kName, {option("sed", "1")}, "unknown option 'sed' (did you mean 'seed'?)");
  expect_rejected(kName, {option("window", "4")}, "unknown option 'window'; known options: seed");
  expect_rejected(kName, {option("seed", "-1")}, "option 'seed' must be an integer from 0");
  expect_rejected(kName, {option("seed", "x")}, "option 'seed' must be an integer");
}

TEST(MinExpectedLatencyRoutingTest, ConcurrentSelectsOnOneInstance) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  // Nodes 0 and 2 tie for the best score; node 1 never wins.
  const std::vector<RoutingNodeStats> nodes = loaded({{2.0, 1}, {1.0, 1}, {1.0, 0}});
  const std::vector<std::size_t> counts = count_picks_concurrently(*strategy, nodes, 8, 4000);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[0] + counts[2], 32000u);
  expect_distribution({counts[0], counts[2]}, uniform(2));
}

}  // namespace
}  // namespace disaggd::test
