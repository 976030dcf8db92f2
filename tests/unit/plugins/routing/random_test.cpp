// Tests of the `random` routing plugin, loaded from the build tree through the plugin host.
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

std::unique_ptr<RoutingStrategy> seeded(const std::string& seed = "42") {
  return created("random", {option("seed", seed)});
}

TEST(RandomRoutingTest, LoadsWithItsDescriptor) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(strategy->info().name, "random");
  EXPECT_EQ(strategy->info().version, "0.1.0");
  EXPECT_FALSE(strategy->info().description.empty());
}

TEST(RandomRoutingTest, PicksInProportionToSpeed) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 2.0, 3.0});
  const std::vector<std::size_t> counts = count_picks(*strategy, nodes, 60000);
  expect_distribution(counts, {1.0 / 6, 2.0 / 6, 3.0 / 6});
  // The test can tell: the same counts are far from uniform.
  EXPECT_GT(chi_square(counts, uniform(3)), 100 * chi_square_critical_0_001(2));
}

TEST(RandomRoutingTest, UniformWhenNoSpeedIsConfigured) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({0.0, 0.0, 0.0, 0.0});
  expect_distribution(count_picks(*strategy, nodes, 40000), uniform(4));
}

TEST(RandomRoutingTest, UnconfiguredSpeedsCountAsTheMeanConfiguredSpeed) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  // Configured 1 and 3 (mean 2); zero, NaN, negative and infinite mean "not configured".
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 3.0, 0.0, kNaN, -5.0, kInf});
  expect_distribution(count_picks(*strategy, nodes, 60000),
                      {1.0 / 12, 3.0 / 12, 2.0 / 12, 2.0 / 12, 2.0 / 12, 2.0 / 12});
}

TEST(RandomRoutingTest, UniformWhenEverySpeedIsUnusable) {
  for (const double speed : {0.0, -1.0, kNaN, kInf, -kInf}) {
    std::unique_ptr<RoutingStrategy> strategy = seeded();
    ASSERT_NE(strategy, nullptr);
    const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({speed, speed, speed});
    expect_distribution(count_picks(*strategy, nodes, 30000), uniform(3));
  }
}

TEST(RandomRoutingTest, HugeSpeedsDoNotOverflow) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  // A plain sum of these speeds is infinite; the unconfigured node must still count as average.
  const double huge = std::numeric_limits<double>::max();
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({huge, huge, 0.0});
  expect_distribution(count_picks(*strategy, nodes, 30000), uniform(3));
}

TEST(RandomRoutingTest, TinySpeedIsRarelyPicked) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1e-12, 1.0});
  const std::vector<std::size_t> counts = count_picks(*strategy, nodes, 10000);
  EXPECT_EQ(counts[0], 0u);
  EXPECT_EQ(counts[1], 10000u);
}

TEST(RandomRoutingTest, SingleCandidateIsAlwaysPicked) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  for (const double speed : {0.0, 5.0, kNaN}) {
    const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({speed});
    EXPECT_EQ(count_picks(*strategy, nodes, 100), std::vector<std::size_t>{100});
  }
}

TEST(RandomRoutingTest, NoCandidatesIsUnavailable) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const core::Result<std::size_t> chosen = strategy->select(request(), {});
  ASSERT_FALSE(chosen.ok());
  EXPECT_EQ(chosen.status().code(), StatusCode::kUnavailable);

  const RawSelectResult raw = raw_select_without_candidates("random");
  EXPECT_EQ(raw.status, DISAGGD_STATUS_UNAVAILABLE);
  EXPECT_THAT(raw.message, ::testing::HasSubstr("no candidate"));
}

TEST(RandomRoutingTest, SameSeedGivesTheSameSequence) {
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 2.0, 3.0, 4.0});
  std::unique_ptr<RoutingStrategy> first = seeded("7");
  std::unique_ptr<RoutingStrategy> second = seeded("7");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(pick_sequence(*first, nodes, 1000), pick_sequence(*second, nodes, 1000));
}

TEST(RandomRoutingTest, DifferentSeedsGiveDifferentSequences) {
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 2.0, 3.0, 4.0});
  std::unique_ptr<RoutingStrategy> first = seeded("7");
  std::unique_ptr<RoutingStrategy> second = seeded("8");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(pick_sequence(*first, nodes, 1000), pick_sequence(*second, nodes, 1000));
}

TEST(RandomRoutingTest, UnseededInstancesDiffer) {
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 1.0, 1.0, 1.0});
  auto first = make_strategy("random");
  auto second = make_strategy("random");
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(second.ok()) << second.status().message();
  // Equal by chance with probability 4^-200.
  EXPECT_NE(pick_sequence(**first, nodes, 200), pick_sequence(**second, nodes, 200));
}

TEST(RandomRoutingTest, AcceptsSeedsAtTheEndsOfTheRange) {
  EXPECT_TRUE(make_strategy("random", {option("seed", "0")}).ok());
  EXPECT_TRUE(make_strategy("random", {option("seed", "9223372036854775807")}).ok());
}

TEST(RandomRoutingTest, RejectsBadOptions) {
  expect_rejected("random", {option("sed", "1")}, "unknown option 'sed' (did you mean 'seed'?)");
  expect_rejected("random", {option("window", "4")}, "unknown option 'window'");
  expect_rejected("random", {option("seed", "-1")}, "option 'seed' must be an integer from 0");
  expect_rejected("random", {option("seed", "1.5")}, "option 'seed' must be an integer");
  expect_rejected("random", {option("seed", "abc")}, "option 'seed' must be an integer");
  expect_rejected("random", {option("seed", "true")}, "option 'seed' must be an integer");
}

TEST(RandomRoutingTest, ConcurrentSelectsOnOneInstance) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 3.0});
  const std::vector<std::size_t> counts = count_picks_concurrently(*strategy, nodes, 8, 4000);
  EXPECT_EQ(counts[0] + counts[1], 32000u);
  expect_distribution(counts, {0.25, 0.75});
}

TEST(RandomRoutingTest, ReportsOfOutcomesAndNodeChangesAreAccepted) {
  std::unique_ptr<RoutingStrategy> strategy = seeded();
  ASSERT_NE(strategy, nullptr);
  const std::vector<RoutingNodeStats> nodes = nodes_with_speeds({1.0, 2.0});
  EXPECT_TRUE(strategy->on_request_done(nodes[0].id, "req-1", 12.5, true).ok());
  EXPECT_TRUE(strategy->on_nodes_changed(nodes).ok());
  EXPECT_TRUE(strategy->on_nodes_changed({}).ok());
}

}  // namespace
}  // namespace disaggd::test
