// NodeRegistry and the /nodes/add body parser.
#include "proxy/node_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace disaggd::proxy {
namespace {

using ::testing::HasSubstr;

NodeInfo node(const std::string& url, core::NodeRole role = core::NodeRole::kHybrid,
              uint64_t epoch = 1, std::vector<std::string> models = {"m"}) {
  NodeInfo n;
  n.url = url;
  n.role = role;
  n.epoch = epoch;
  n.models = std::move(models);
  return n;
}

std::vector<std::string> ids(const std::vector<core::RoutingNodeStats>& stats) {
  std::vector<std::string> out;
  for (const auto& s : stats) {
    out.push_back(s.id);
  }
  return out;
}

TEST(NodeRegistrationTest, ReadsDisaggdsBodyAndLmdeploysBody) {
  auto ours = parse_node_registration({{"url", "http://127.0.0.1:9001/"},
                                       {"role", "decode"},
                                       {"models", {"qwen3"}},
                                       {"epoch", 7},
                                       {"speed", 2.5},
                                       {"kv_layout", {{"block_size", 16}}}});
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  EXPECT_EQ(ours->url, "http://127.0.0.1:9001");
  EXPECT_EQ(ours->role, core::NodeRole::kDecode);
  EXPECT_EQ(ours->models, std::vector<std::string>{"qwen3"});
  EXPECT_EQ(ours->epoch, 7u);
  EXPECT_EQ(ours->speed, 2.5);
  EXPECT_EQ(ours->kv_layout["block_size"], 16);

  auto lmdeploy = parse_node_registration(
      {{"url", "http://10.0.0.5:23333"}, {"status", {{"models", {"internlm"}}, {"role", 2}}}});
  ASSERT_TRUE(lmdeploy.ok()) << lmdeploy.status().message();
  EXPECT_EQ(lmdeploy->role, core::NodeRole::kPrefill);
  EXPECT_EQ(lmdeploy->models, std::vector<std::string>{"internlm"});

  auto bare = parse_node_registration({{"url", "https://node:8000"}});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->role, core::NodeRole::kHybrid);
  EXPECT_TRUE(bare->models.empty());
}

TEST(NodeRegistrationTest, MistakesNameTheField) {
  auto error = [](const nlohmann::json& body) {
    auto parsed = parse_node_registration(body);
    return parsed.ok() ? std::string("accepted") : parsed.status().message();
  };
  EXPECT_THAT(error({{"role", "hybrid"}}), HasSubstr("'url'"));
  EXPECT_THAT(error({{"url", "ftp://x:1"}}), HasSubstr("'url'"));
  EXPECT_THAT(error({{"url", "http://x:1/v1"}}), HasSubstr("without a path"));
  EXPECT_THAT(error({{"url", "http://x:1"}, {"role", "boss"}}), HasSubstr("'role'"));
  EXPECT_THAT(error({{"url", "http://x:1"}, {"status", {{"role", 4}}}}),
              HasSubstr("'status.role'"));
  EXPECT_THAT(error({{"url", "http://x:1"}, {"models", "m"}}), HasSubstr("'models'"));
  EXPECT_THAT(error({{"url", "http://x:1"}, {"epoch", -1}}), HasSubstr("'epoch'"));
  EXPECT_THAT(error({{"url", "http://x:1"}, {"speed", "fast"}}), HasSubstr("'speed'"));
  EXPECT_THAT(error(nlohmann::json::array()), HasSubstr("JSON object"));
}

TEST(NodeRegistryTest, EpochsDecideBetweenUpdateReplaceAndRefuse) {
  NodeRegistry registry;
  EXPECT_EQ(registry.add(node("http://a:1", core::NodeRole::kHybrid, 5)).value(), "added");
  registry.request_finished("http://a:1", 10.0, true);  // (not in flight: counts still apply)
  EXPECT_EQ(registry.add(node("http://a:1", core::NodeRole::kHybrid, 5)).value(), "updated");
  EXPECT_EQ(registry.all()[0].completed_requests, 1u);
  auto stale = registry.add(node("http://a:1", core::NodeRole::kHybrid, 4));
  ASSERT_FALSE(stale.ok());
  EXPECT_THAT(stale.status().message(), HasSubstr("older than the registered epoch 5"));
  EXPECT_EQ(registry.add(node("http://a:1", core::NodeRole::kHybrid, 6)).value(), "replaced");
  EXPECT_EQ(registry.all()[0].completed_requests, 0u);  // a new process: fresh statistics
  EXPECT_EQ(registry.all().size(), 1u);
}

TEST(NodeRegistryTest, CandidatesFilterByRoleModelAndHealth) {
  NodeRegistry registry;
  ASSERT_TRUE(registry.add(node("http://a:1")).ok());
  ASSERT_TRUE(registry.add(node("http://b:1", core::NodeRole::kPrefill)).ok());
  ASSERT_TRUE(registry.add(node("http://c:1", core::NodeRole::kHybrid, 1, {"other"})).ok());
  ASSERT_TRUE(registry.add(node("http://d:1", core::NodeRole::kHybrid, 1, {})).ok());
  EXPECT_EQ(ids(registry.candidates(core::NodeRole::kHybrid, "m")),
            (std::vector<std::string>{"http://a:1", "http://d:1"}));
  EXPECT_EQ(ids(registry.candidates(core::NodeRole::kPrefill, "m")),
            std::vector<std::string>{"http://b:1"});
  EXPECT_EQ(ids(registry.candidates(core::NodeRole::kHybrid, "other")),
            (std::vector<std::string>{"http://c:1", "http://d:1"}));
  EXPECT_TRUE(registry.remove("http://a:1"));
  EXPECT_FALSE(registry.remove("http://a:1"));
  EXPECT_EQ(ids(registry.candidates(core::NodeRole::kHybrid, "m")),
            std::vector<std::string>{"http://d:1"});
}

TEST(NodeRegistryTest, ANodeLeavesRotationAfterNFailuresAndReturnsWhenHealthy) {
  NodeRegistry registry({.failures_to_leave = 3, .latency_window = 4});
  ASSERT_TRUE(registry.add(node("http://a:1")).ok());
  registry.health_checked("http://a:1", false);
  registry.health_checked("http://a:1", false);
  EXPECT_EQ(registry.candidates(core::NodeRole::kHybrid, "m").size(), 1u);  // not after one
  registry.health_checked("http://a:1", true);  // a success resets the count
  registry.health_checked("http://a:1", false);
  registry.health_checked("http://a:1", false);
  EXPECT_EQ(registry.candidates(core::NodeRole::kHybrid, "m").size(), 1u);
  registry.request_started("http://a:1");
  registry.request_finished("http://a:1", 5.0, false);  // a failed request counts too
  EXPECT_TRUE(registry.candidates(core::NodeRole::kHybrid, "m").empty());
  EXPECT_EQ(registry.status()["http://a:1"]["healthy"], false);
  EXPECT_EQ(registry.count(false), 1u);
  EXPECT_EQ(registry.count(true), 0u);
  registry.health_checked("http://a:1", true);
  EXPECT_EQ(registry.candidates(core::NodeRole::kHybrid, "m").size(), 1u);
}

TEST(NodeRegistryTest, StatisticsFeedRouting) {
  NodeRegistry registry({.failures_to_leave = 3, .latency_window = 2});
  NodeInfo a = node("http://a:1");
  a.speed = 3.0;
  ASSERT_TRUE(registry.add(a).ok());
  registry.request_started("http://a:1");
  registry.request_started("http://a:1");
  registry.request_finished("http://a:1", 10.0, true);
  registry.request_started("http://a:1");
  registry.request_finished("http://a:1", 20.0, true);
  registry.request_finished("http://a:1", 30.0, true);
  registry.request_finished("http://unknown:1", 1.0, true);  // ignored
  const core::RoutingNodeStats stats = registry.candidates(core::NodeRole::kHybrid, "m").at(0);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.speed, 3.0);
  EXPECT_EQ(stats.recent_latencies_ms, (std::vector<double>{20.0, 30.0}));  // the window
  EXPECT_EQ(stats.completed_requests, 3u);
  registry.request_started("http://a:1");
  EXPECT_EQ(registry.all()[0].in_flight, 1u);
}

}  // namespace
}  // namespace disaggd::proxy
