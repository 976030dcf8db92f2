// server.cluster_token with real daemons: a DistServe proxy, a prefill and a decode node that
// share the token register, pull KV and answer; the internal endpoints refuse callers without
// it, and a node with the wrong token cannot join.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/support/daemons.h"
#include "integration/support/http_client.h"

namespace disaggd::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const char* const kHeader = "X-Disaggd-Cluster-Token";
const char* const kToken = "cluster-secret-7f3a";

int registered(const ProxyDaemon& proxy) {
  return static_cast<int>(json::parse(http_get(proxy.port(), "/nodes/status").body).size());
}

void expect_refused(const HttpReply& reply) {
  EXPECT_EQ(reply.status, 401) << reply.body;
  EXPECT_THAT(reply.body, HasSubstr("\"code\":\"invalid_cluster_token\""));
  EXPECT_THAT(reply.body, HasSubstr(kHeader));
}

TEST(ClusterTokenTest, NodesWithTheTokenServeAndTheInternalEndpointsRefuseOthers) {
  ProxyDaemon proxy({"--serving-strategy", "DistServe", "--routing-strategy", "random",
                     "--cluster-token", kToken});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  NodeDaemon prefill({"--proxy-url", proxy.url(), "--cluster-token", kToken}, "prefill");
  NodeDaemon decode({"--proxy-url", proxy.url(), "--cluster-token", kToken}, "decode");
  ASSERT_TRUE(prefill.wait_ready()) << prefill.process().output();
  ASSERT_TRUE(decode.wait_ready()) << decode.process().output();
  ASSERT_TRUE(wait_until([&] { return registered(proxy) == 2; })) << proxy.process().output();

  // The whole path works with the token: the proxy to both nodes, the decode node's release.
  const ReferenceCase c = reference_cases().front();
  const HttpReply answer =
      http_call(proxy.port(), "POST", "/v1/completions", reference_completion(c).dump());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(json::parse(answer.body)["choices"][0]["text"], c.completion_text);
  EXPECT_EQ(metric_value(http_get(decode.port(), "/metrics").body,
                         "disaggd_kv_imports_total{outcome=\"pulled\"}"),
            1.0);
  EXPECT_TRUE(wait_until([&] {
    return metric_value(http_get(prefill.port(), "/metrics").body, "disaggd_kept_caches") == 0.0;
  })) << "the decode node's release did not reach the prefill node";

  // Without the token, or with another one, the internal endpoints say 401 and change nothing.
  const std::string node = R"({"url": "http://127.0.0.1:9", "role": "decode", "models": ["m"]})";
  expect_refused(http_call(proxy.port(), "POST", "/nodes/add", node));
  expect_refused(http_call(proxy.port(), "POST", "/nodes/add", node, {{kHeader, "guess"}}));
  expect_refused(
      http_call(proxy.port(), "POST", "/nodes/remove", json{{"url", decode.url()}}.dump()));
  EXPECT_EQ(registered(proxy), 2);
  expect_refused(http_get(prefill.port(), "/distserve/engine_info"));
  expect_refused(
      http_call(prefill.port(), "POST", "/distserve/release", R"({"handle_id": "anything"})"));
  json keep = reference_completion(c);
  keep["disaggd_pd"] = {{"keep_cache", true}};
  expect_refused(http_call(prefill.port(), "POST", "/v1/completions", keep.dump()));
  EXPECT_EQ(metric_value(http_get(prefill.port(), "/metrics").body, "disaggd_kept_caches"), 0.0);

  // The same calls with the token are served; plain client requests never needed it.
  EXPECT_EQ(
      http_call(prefill.port(), "GET", "/distserve/engine_info", "", {{kHeader, kToken}}).status,
      200);
  const HttpReply kept =
      http_call(prefill.port(), "POST", "/v1/completions", keep.dump(), {{kHeader, kToken}});
  EXPECT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(
      http_call(decode.port(), "POST", "/v1/completions", reference_completion(c).dump()).status,
      200);

  // A node with the wrong token is refused by the proxy, says why, and is never routed to.
  NodeDaemon stranger({"--proxy-url", proxy.url(), "--cluster-token", "not-the-token"}, "decode");
  ASSERT_TRUE(stranger.wait_ready()) << stranger.process().output();
  EXPECT_TRUE(wait_until([&] {
    return stranger.process().output().find("invalid_cluster_token") != std::string::npos;
  })) << stranger.process().output();
  EXPECT_EQ(registered(proxy), 2);
}

// A proxy without the nodes' token: the client gets a 502 that names the mismatch, never a 401
// that would look like its own credentials were wrong.
TEST(ClusterTokenTest, AProxyWithoutTheNodesTokenAnswers502NamingTheMismatch) {
  ProxyDaemon proxy({"--serving-strategy", "DistServe", "--routing-strategy", "random"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  NodeDaemon prefill({"--proxy-url", proxy.url(), "--cluster-token", kToken}, "prefill");
  NodeDaemon decode({"--proxy-url", proxy.url(), "--cluster-token", kToken}, "decode");
  ASSERT_TRUE(prefill.wait_ready()) << prefill.process().output();
  ASSERT_TRUE(decode.wait_ready()) << decode.process().output();
  ASSERT_TRUE(wait_until([&] { return registered(proxy) == 2; })) << proxy.process().output();

  const HttpReply answer = http_call(proxy.port(), "POST", "/v1/completions",
                                     reference_completion(reference_cases().front()).dump());
  EXPECT_EQ(answer.status, 502) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr("\"code\":\"cluster_token_mismatch\""));
  EXPECT_TRUE(wait_until([&] {
    return proxy.process().output().find("set the same server.cluster_token") != std::string::npos;
  })) << proxy.process().output();
}

}  // namespace
}  // namespace disaggd::testing
