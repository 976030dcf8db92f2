// Tests of the `min_observed_latency` routing plugin, loaded from the build tree through the host.
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing_test_support.h"

namespace disaggd::test {
namespace {

using core::PluginOptions;
using core::RoutingNodeStats;
using core::RoutingStrategy;
using core::StatusCode;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr char kName[] = "min_observed_latency";

std::unique_ptr<RoutingStrategy> create(const PluginOptions& options) {
  return created(kName, options);
}

std::unique_ptr<RoutingStrategy> seeded(const std::string& seed = "42") {
  return create({option("seed", seed)});
}

// Nodes 0..n-1 with the given latency histories (oldest first); no speed, nothing in flight.
std::vector<RoutingNodeStats> with_latencies(const std::vector<std::vector<double>>& histories) {
  std::vector<RoutingNodeStats> nodes;
  for (std::size_t i = 0; i < histories.size(); ++i) {
    nodes.push_back(node(i, 0.0, 0, histories[i]));
  }
  return nodes;
}

// `count` copies of `value`, then `tail`.
std::vector<double> repeated(std::size_t count, double value, std::vector<double> tail = {}) {
  std::vector<double> history(count, value);
  history.insert(history.end(), tail.begin(), tail.end());
  return history;
}

TEST(MinObservedLatencyRoutingTest, LoadsWithItsDescriptor) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(strategy->info().name, kName);
  EXPECT_EQ(strategy->info().version, "0.1.0");
  EXPECT_FALSE(strategy->info().description.empty());
}

TEST(MinObservedLatencyRoutingTest, PicksTheLowestMeanLatency) {
  // Means 50.5, 40, 45: the mean decides, not the best (node 0) or newest (node 2) sample.
  expect_always(kName, with_latencies({{1.0, 100.0}, {40.0, 40.0}, {60.0, 30.0}}), 1);
  expect_always(kName, with_latencies({{10.0, 10.0, 10.0}, {5.0, 20.0}, {9.0, 30.0}}), 0);
}

TEST(MinObservedLatencyRoutingTest, IgnoresSpeedAndLoad) {
  std::vector<RoutingNodeStats> nodes = with_latencies({{10.0}, {5.0}});
  nodes[0].speed = 100.0;
  nodes[1].speed = 1.0;
  nodes[1].in_flight = 50;
  expect_always(kName, nodes, 1);
}

TEST(MinObservedLatencyRoutingTest, WindowLimitsTheHistory) {
  // Node 0 was slow long ago and is fast in its newest 16 requests; node 1 is steady at 50.
  const std::vector<RoutingNodeStats> nodes =
      with_latencies({repeated(20, 1000.0, repeated(16, 10.0)), repeated(36, 50.0)});
  expect_always(kName, nodes, 0);                              // default window 16: 10 < 50
  expect_always(kName, nodes, 0, {option("window", "16")});    // the same, explicitly
  expect_always(kName, nodes, 1, {option("window", "32")});    // (16*1000 + 16*10) / 32 = 505 > 50
  expect_always(kName, nodes, 1, {option("window", "1024")});  // all 36: 5000/9 ~ 560 > 50
  // window 1: only the newest latency counts.
  expect_always(kName, with_latencies({{1.0, 1.0, 90.0}, {80.0, 80.0, 80.0}}), 1,
                {option("window", "1")});
}

TEST(MinObservedLatencyRoutingTest, NodeWithoutHistoryIsTriedFirst) {
  expect_always(kName, with_latencies({{10.0}, {}, {20.0}}), 1);
  // Even against a node that is very fast.
  expect_always(kName, with_latencies({{0.001, 0.0}, {}}), 1);
}

TEST(MinObservedLatencyRoutingTest, SeveralNodesWithoutHistoryShareThePicks) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = with_latencies({{10.0}, {}, {}, {}, {1.0}});
  const std::vector<std::size_t> counts = count_picks(*strategy, nodes, 30000);
  EXPECT_EQ(counts[0], 0u);
  EXPECT_EQ(counts[4], 0u);
  expect_distribution({counts[1], counts[2], counts[3]}, uniform(3));
}

TEST(MinObservedLatencyRoutingTest, EqualMeansShareThePicks) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = with_latencies({{10.0, 20.0}, {15.0}, {30.0}});
  const std::vector<std::size_t> counts = count_picks(*strategy, nodes, 20000);
  EXPECT_EQ(counts[2], 0u);
  expect_distribution({counts[0], counts[1]}, uniform(2));
}

TEST(MinObservedLatencyRoutingTest, AllNodesEqualShareThePicks) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = with_latencies({{7.0}, {7.0}, {7.0}, {7.0}});
  expect_distribution(count_picks(*strategy, nodes, 40000), uniform(4));
}

TEST(MinObservedLatencyRoutingTest, SkipsLatenciesThatAreNotMeasurements) {
  // Node 1's usable latencies average 10 (NaN, infinities and negatives are skipped), so it beats
  // node 0. Had NaN or inf entered the mean, node 1 would score NaN/inf and lose.
  expect_always(kName, with_latencies({{12.0}, {10.0, kNaN}}), 1);
  expect_always(kName, with_latencies({{12.0}, {10.0, kInf}}), 1);
  expect_always(kName, with_latencies({{12.0}, {-kInf, 10.0, -5.0}}), 1);
  // Skipped entries do not use up the window: with window 2, node 0's newest usable pair is
  // (1, 100), mean 50.5 < 60. Counting the NaN would leave only 100.
  expect_always(kName, with_latencies({{1.0, 100.0, kNaN}, {60.0}}), 0, {option("window", "2")});
}

TEST(MinObservedLatencyRoutingTest, NodeWithOnlyUnusableLatenciesCountsAsNew) {
  expect_always(kName, with_latencies({{5.0}, {kNaN, kInf, -1.0}}), 1);
}

TEST(MinObservedLatencyRoutingTest, HugeLatenciesRankAsSlowest) {
  const double huge = std::numeric_limits<double>::max();
  // The sum overflows to infinity; the node must lose, not win or crash.
  expect_always(kName, with_latencies({{huge, huge}, {1e6}}), 1);
  // Two such nodes tie with each other, and a measured finite node still beats both.
  expect_always(kName, with_latencies({{huge, huge}, {huge, huge}, {3.0}}), 2);
}

TEST(MinObservedLatencyRoutingTest, SingleCandidateIsAlwaysPicked) {
  expect_always(kName, with_latencies({{}}), 0);
  expect_always(kName, with_latencies({{5.0, kNaN}}), 0);
}

TEST(MinObservedLatencyRoutingTest, NoCandidatesIsUnavailable) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const core::Result<std::size_t> chosen = strategy->select(request(), {});
  ASSERT_FALSE(chosen.ok());
  EXPECT_EQ(chosen.status().code(), StatusCode::kUnavailable);

  const RawSelectResult raw = raw_select_without_candidates(kName);
  EXPECT_EQ(raw.status, DISAGGD_STATUS_UNAVAILABLE);
  EXPECT_THAT(raw.message, ::testing::HasSubstr("no candidate"));
}

TEST(MinObservedLatencyRoutingTest, SameSeedGivesTheSameTieBreaks) {
  const std::vector<RoutingNodeStats> nodes = with_latencies({{}, {}, {}, {}});
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

TEST(MinObservedLatencyRoutingTest, AcceptsWindowsAtTheEndsOfTheRange) {
  EXPECT_NE(create({option("window", "1")}), nullptr);
  EXPECT_NE(create({option("window", "1024")}), nullptr);
}

TEST(MinObservedLatencyRoutingTest, RejectsBadOptions) {
  expect_rejected(kName, {option("windw", "4")}, "unknown option 'windw' (did you mean 'window'?)");
  expect_rejected(kName, {option("sed", "4")}, "unknown option 'sed' (did you mean 'seed'?)");
  expect_rejected(kName, {option("window", "0")},
                  "option 'window' must be an integer from 1 to 1024");
  expect_rejected(kName, {option("window", "1025")}, "option 'window' must be an integer from 1");
  expect_rejected(kName, {option("window", "-3")}, "option 'window' must be an integer from 1");
  expect_rejected(kName, {option("window", "2.5")}, "option 'window' must be an integer");
  expect_rejected(kName, {option("window", "big")}, "option 'window' must be an integer");
  expect_rejected(kName, {option("seed", "-1")}, "option 'seed' must be an integer from 0");
}

TEST(MinObservedLatencyRoutingTest, ConcurrentSelectsOnOneInstance) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = with_latencies({{20.0}, {}, {}, {5.0}});
  const std::vector<std::size_t> counts = count_picks_concurrently(*strategy, nodes, 8, 4000);
  EXPECT_EQ(counts[0] + counts[3], 0u);
  EXPECT_EQ(counts[1] + counts[2], 32000u);
  expect_distribution({counts[1], counts[2]}, uniform(2));
}

}  // namespace
}  // namespace disaggd::test
