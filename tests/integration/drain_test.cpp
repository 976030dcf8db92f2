// SIGTERM drains instead of cutting: a node stopped mid-stream leaves its proxy, finishes the
// stream, refuses new work with 503 (which the proxy retries on another node) and exits 0; a
// proxy stopped mid-stream finishes relaying it. Hybrid nodes on the sim backend, whose step
// time makes a 100-token stream last about 2 s.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <future>

#include <nlohmann/json.hpp>

#include "integration/support/daemons.h"
#include "integration/support/http_client.h"

namespace disaggd::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<NodeDaemon> slow_sim_node(const ProxyDaemon& proxy) {
  return std::make_unique<NodeDaemon>(
      std::vector<std::string>{"--backend", "sim", "--set",
                               "node.backend_options={decode_us_per_step: 20000, kv_blocks: 1024}",
                               "--proxy-url", proxy.url()});
}

std::string completion(int max_tokens, bool stream) {
  return json{{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"max_tokens", max_tokens},
              {"temperature", 0},       {"ignore_eos", true},           {"stream", stream}}
      .dump();
}

int in_flight(const ProxyDaemon& proxy) {
  const json table = json::parse(http_get(proxy.port(), "/nodes/status").body);
  int total = 0;
  for (const auto& [url, node] : table.items()) {
    total += node.value("in_flight", 0);
  }
  return total;
}

int registered(const ProxyDaemon& proxy) {
  return static_cast<int>(json::parse(http_get(proxy.port(), "/nodes/status").body).size());
}

/// A whole stream: 200, every event until [DONE], the last choice ended by its length.
void expect_whole_stream(const HttpReply& reply) {
  ASSERT_EQ(reply.status, 200) << reply.body;
  const std::vector<json> events = sse_events(reply.body);
  ASSERT_GE(events.size(), 2u) << reply.body;
  EXPECT_EQ(events.back(), "[DONE]") << reply.body.substr(reply.body.size() - 300);
  EXPECT_EQ(events[events.size() - 2]["choices"][0]["finish_reason"], "length") << reply.body;
}

/// Sends a 100-token stream (about 2 s) through `proxy` and returns once a node has it.
std::future<HttpReply> start_long_stream(const ProxyDaemon& proxy) {
  auto stream = std::async(std::launch::async, [&proxy] {
    return http_call(proxy.port(), "POST", "/v1/completions", completion(100, true));
  });
  EXPECT_TRUE(wait_until([&] { return in_flight(proxy) == 1; }));
  return stream;
}

/// Waits until the daemon on `port` answers a new completion with 503 shutting_down.
void expect_refusal(int port) {
  HttpReply refused;
  EXPECT_TRUE(wait_until([&] {
    refused = http_call(port, "POST", "/v1/completions", completion(1, false));
    return refused.status == 503;
  })) << refused.status
      << " " << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("\"code\":\"shutting_down\""));
}

TEST(DrainTest, ANodeStoppedMidStreamFinishesItWhileNewRequestsGoElsewhere) {
  ProxyDaemon proxy({"--serving-strategy", "Hybrid", "--routing-strategy", "random"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  auto first = slow_sim_node(proxy);
  ASSERT_TRUE(first->wait_ready()) << first->process().output();
  ASSERT_TRUE(wait_until([&] { return registered(proxy) == 1; }));

  // The only node takes the long stream; then a second node joins.
  auto stream = start_long_stream(proxy);
  auto second = slow_sim_node(proxy);
  ASSERT_TRUE(second->wait_ready()) << second->process().output();
  ASSERT_TRUE(wait_until([&] { return registered(proxy) == 2; }));

  first->process().send_signal(SIGTERM);
  // Draining: the node refuses new work itself, and the proxy no longer lists it.
  expect_refusal(first->port());
  EXPECT_TRUE(wait_until([&] { return registered(proxy) == 1; }));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(http_call(proxy.port(), "POST", "/v1/completions", completion(2, false)).status, 200);
  }

  expect_whole_stream(stream.get());
  EXPECT_EQ(first->process().wait_exit(seconds(30)), 0) << first->process().output();
  EXPECT_THAT(first->process().output(), HasSubstr("hybrid draining: "));
  EXPECT_THAT(first->process().output(), Not(HasSubstr("drain timeout")));
}

TEST(DrainTest, AProxyStoppedMidStreamFinishesRelayingIt) {
  ProxyDaemon proxy({"--serving-strategy", "Hybrid", "--routing-strategy", "random"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  auto node = slow_sim_node(proxy);
  ASSERT_TRUE(node->wait_ready()) << node->process().output();
  ASSERT_TRUE(wait_until([&] { return registered(proxy) == 1; }));

  auto stream = start_long_stream(proxy);
  proxy.process().send_signal(SIGTERM);
  expect_refusal(proxy.port());

  expect_whole_stream(stream.get());
  EXPECT_EQ(proxy.process().wait_exit(seconds(30)), 0) << proxy.process().output();
}

}  // namespace
}  // namespace disaggd::testing
