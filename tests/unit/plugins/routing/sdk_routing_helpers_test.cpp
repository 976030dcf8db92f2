// Tests of the SDK helpers the routing plugins share (Random, seed_option, RoutingNode(s)), called
// directly: edge cases the plugins themselves never reach, such as NaN scores.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "disaggd/sdk/random.hpp"
#include "disaggd/sdk/routing.hpp"

namespace disaggd::sdk {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::size_t> argmin_counts(const std::vector<double>& scores, int draws = 4000) {
  Random random(1);
  std::vector<std::size_t> counts(scores.size(), 0);
  for (int i = 0; i < draws; ++i) {
    ++counts.at(random.argmin(scores));
  }
  return counts;
}

std::vector<std::size_t> weighted_counts(const std::vector<double>& weights, int draws = 4000) {
  Random random(1);
  std::vector<std::size_t> counts(weights.size(), 0);
  for (int i = 0; i < draws; ++i) {
    ++counts.at(random.weighted_index(weights));
  }
  return counts;
}

TEST(SdkRandomTest, ArgminNeverPicksNaNOverANumber) {
  // NaN first used to win every time: nothing compares less than it.
  EXPECT_EQ(argmin_counts({kNaN, 5.0, kNaN}), (std::vector<std::size_t>{0, 4000, 0}));
  EXPECT_EQ(argmin_counts({kNaN, kInf}), (std::vector<std::size_t>{0, 4000}));
}

TEST(SdkRandomTest, ArgminOverOnlyNaNPicksAnyIndex) {
  const std::vector<std::size_t> counts = argmin_counts({kNaN, kNaN});
  EXPECT_GT(counts[0], 1500u);
  EXPECT_GT(counts[1], 1500u);
}

TEST(SdkRandomTest, ArgminTreatsInfinitiesAsNumbers) {
  EXPECT_EQ(argmin_counts({1.0, -kInf, 0.0}), (std::vector<std::size_t>{0, 4000, 0}));
  const std::vector<std::size_t> counts = argmin_counts({kInf, kInf});
  EXPECT_GT(counts[0], 1500u);
  EXPECT_GT(counts[1], 1500u);
}

TEST(SdkRandomTest, WeightedIndexSkipsUnusableWeights) {
  EXPECT_EQ(weighted_counts({0.0, -1.0, kNaN, kInf, 2.0}),
            (std::vector<std::size_t>{0, 0, 0, 0, 4000}));
}

TEST(SdkRandomTest, WeightedIndexWithoutPositiveWeightIsUniform) {
  const std::vector<std::size_t> counts = weighted_counts({0.0, kNaN, -2.0});
  for (const std::size_t count : counts) {
    EXPECT_GT(count, 1100u);
  }
}

TEST(SdkRandomTest, WeightedIndexHandlesHugeAndTinyWeights) {
  const double huge = std::numeric_limits<double>::max();
  const std::vector<std::size_t> counts = weighted_counts({huge, huge});
  EXPECT_GT(counts[0], 1500u);
  EXPECT_GT(counts[1], 1500u);
  // A denormal weight next to 1 vanishes; the lone denormal weight still works.
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(weighted_counts({tiny, 1.0}), (std::vector<std::size_t>{0, 4000}));
  EXPECT_EQ(weighted_counts({0.0, tiny}), (std::vector<std::size_t>{0, 4000}));
}

TEST(SdkRandomTest, SeedOptionReadsAndChecksTheSeed) {
  const auto make = [](std::int64_t value, disaggd_option_type type) {
    disaggd_option o{};
    o.key = {"seed", 4};
    o.type = type;
    o.int_value = value;
    o.float_value = static_cast<double>(value);
    o.text = {"x", 1};
    return o;
  };
  Options none(nullptr, 0);
  EXPECT_EQ(seed_option(none), std::nullopt);
  none.reject_unknown();  // absent seed is fine, and "seed" is a known key

  const disaggd_option zero = make(0, DISAGGD_OPTION_INT);
  Options with_zero(&zero, 1);
  EXPECT_EQ(seed_option(with_zero), std::optional<std::uint64_t>(0));

  const disaggd_option negative = make(-1, DISAGGD_OPTION_INT);
  Options with_negative(&negative, 1);
  EXPECT_THROW(seed_option(with_negative), Error);

  const disaggd_option text = make(0, DISAGGD_OPTION_STRING);
  Options with_text(&text, 1);
  EXPECT_THROW(seed_option(with_text), Error);
}

disaggd_routing_node abi_node(double speed, const std::vector<double>& latencies) {
  disaggd_routing_node n{};
  n.struct_size = sizeof(n);
  n.speed = speed;
  n.recent_latencies_ms = latencies.empty() ? nullptr : latencies.data();
  n.recent_latency_count = latencies.size();
  return n;
}

TEST(SdkRoutingNodeTest, MeanSkipsUnusableLatenciesAndHonoursTheWindow) {
  const std::vector<double> latencies = {100.0, 1.0, kNaN, 3.0, -kInf, -2.0, kInf};
  const disaggd_routing_node abi = abi_node(0.0, latencies);
  const RoutingNode node(abi);
  EXPECT_EQ(node.mean_recent_latency_ms(1), 3.0);
  EXPECT_EQ(node.mean_recent_latency_ms(2), 2.0);
  EXPECT_EQ(node.mean_recent_latency_ms(3), 104.0 / 3);
  EXPECT_EQ(node.mean_recent_latency_ms(100), 104.0 / 3);
  EXPECT_EQ(node.mean_recent_latency_ms(0), std::nullopt);
}

TEST(SdkRoutingNodeTest, NoUsableLatencyMeansNoMean) {
  const std::vector<double> bad = {kNaN, kInf, -1.0};
  const disaggd_routing_node with_bad = abi_node(0.0, bad);
  EXPECT_EQ(RoutingNode(with_bad).mean_recent_latency_ms(16), std::nullopt);
  const disaggd_routing_node empty = abi_node(0.0, {});
  EXPECT_EQ(RoutingNode(empty).mean_recent_latency_ms(16), std::nullopt);
  // A count without an array (a host bug) reads as no history rather than a crash.
  disaggd_routing_node dangling = abi_node(0.0, {});
  dangling.recent_latency_count = 5;
  EXPECT_EQ(RoutingNode(dangling).latency_count(), 0u);
  EXPECT_EQ(RoutingNode(dangling).mean_recent_latency_ms(16), std::nullopt);
}

std::vector<double> effective(const std::vector<double>& speeds) {
  std::vector<disaggd_routing_node> abi;
  for (const double speed : speeds) {
    abi.push_back(abi_node(speed, {}));
  }
  std::vector<const disaggd_routing_node*> pointers;
  for (const disaggd_routing_node& n : abi) {
    pointers.push_back(&n);
  }
  return RoutingNodes(pointers.data(), pointers.size()).effective_speeds();
}

TEST(SdkRoutingNodesTest, EffectiveSpeedsFillGapsWithTheMean) {
  EXPECT_EQ(effective({1.0, 3.0, 0.0, kNaN, -1.0, kInf}),
            (std::vector<double>{1.0, 3.0, 2.0, 2.0, 2.0, 2.0}));
  EXPECT_EQ(effective({0.0, 0.0}), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(effective({}), std::vector<double>{});
  const double huge = std::numeric_limits<double>::max();
  EXPECT_EQ(effective({huge, huge, 0.0}), (std::vector<double>{huge, huge, huge}));
}

}  // namespace
}  // namespace disaggd::sdk
