// Prefill/decode disaggregation with real daemons on loopback: a DistServe proxy, prefill and
// decode nodes on stories260K (torch backend), the KV pulled through the tcp migration plugin.
// Output equals the reference greedy output (so Hybrid's), whole and streamed, alone and 32 at
// once, with 1+1 and 2+2 nodes; forged handles get a 400; a prefill that dies after handing out
// its handle costs nothing but a recompute; every KV block comes back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <nlohmann/json.hpp>

#include "integration/support/daemons.h"
#include "integration/support/http_client.h"

namespace disaggd::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

double node_metric(NodeDaemon& node, const std::string& series) {
  return metric_value(http_get(node.port(), "/metrics").body, series);
}

int healthy(const ProxyDaemon& proxy, const std::string& role) {
  const json table = json::parse(http_get(proxy.port(), "/nodes/status").body);
  int count = 0;
  for (const auto& [url, node] : table.items()) {
    count += node["healthy"] == true && node["role"] == role ? 1 : 0;
  }
  return count;
}

/// `clients` clients that each start a streamed completion of `max_tokens` through the proxy on
/// `port`, read its first bytes and hang up.
void leave_mid_stream(int port, int clients, int max_tokens) {
  for (int i = 0; i < clients; ++i) {
    Poco::Net::StreamSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    send_raw_post(socket, "/v1/completions",
                  json({{"model", "stories260K"},
                        {"prompt", "Once upon a time"},
                        {"max_tokens", max_tokens},
                        {"ignore_eos", true},
                        {"stream", true}})
                      .dump());
    char buffer[256];
    socket.receiveBytes(buffer, sizeof buffer);
    socket.close();
  }
}

/// Sends every reference case `rounds` times from `clients` threads at once and returns the
/// failures (empty when every answer is the reference text).
std::vector<std::string> run_load(int port, int clients, int rounds, bool stream) {
  const std::vector<ReferenceCase> cases = reference_cases();
  std::vector<std::future<std::vector<std::string>>> results;
  for (int t = 0; t < clients; ++t) {
    results.push_back(std::async(std::launch::async, [&, t] {
      std::vector<std::string> failures;
      for (int r = 0; r < rounds; ++r) {
        const ReferenceCase& c = cases[static_cast<std::size_t>(t + r) % cases.size()];
        json body = reference_completion(c);
        body["stream"] = stream;
        const HttpReply reply = http_call(port, "POST", "/v1/completions", body.dump());
        std::string text;
        if (reply.status == 200) {
          text = stream ? streamed_text(sse_events(reply.body))
                        : json::parse(reply.body)["choices"][0]["text"].get<std::string>();
        }
        if (reply.status != 200 || text != c.completion_text) {
          failures.push_back(std::to_string(reply.status) + " " + reply.body.substr(0, 200));
        }
      }
      return failures;
    }));
  }
  std::vector<std::string> failures;
  for (auto& result : results) {
    for (const std::string& failure : result.get()) {
      failures.push_back(failure);
    }
  }
  return failures;
}

TEST(DistServeTest, AnswersAreTheReferenceWithOneAndTwoNodesOfEachRoleAndEveryBlockReturns) {
  ProxyDaemon proxy({"--serving-strategy", "DistServe", "--routing-strategy", "random",
                     "--server-max-threads", "128"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  std::vector<std::unique_ptr<NodeDaemon>> prefills;
  std::vector<std::unique_ptr<NodeDaemon>> decodes;
  auto add_pair = [&] {
    prefills.push_back(std::make_unique<NodeDaemon>(
        std::vector<std::string>{"--proxy-url", proxy.url()}, "prefill"));
    decodes.push_back(std::make_unique<NodeDaemon>(
        std::vector<std::string>{"--proxy-url", proxy.url()}, "decode"));
    ASSERT_TRUE(prefills.back()->wait_ready()) << prefills.back()->process().output();
    ASSERT_TRUE(decodes.back()->wait_ready()) << decodes.back()->process().output();
  };
  add_pair();
  ASSERT_TRUE(wait_until([&] { return healthy(proxy, "prefill") == 1; }));
  ASSERT_TRUE(wait_until([&] { return healthy(proxy, "decode") == 1; }));

  // The request from LMDeploy's guide, then every reference case whole and streamed.
  const HttpReply guide = http_call(
      proxy.port(), "POST", "/v1/completions",
      R"({"model": "stories260K", "temperature": 0, "prompt": "Once upon a time", "max_tokens": 16, "stream": false})");
  ASSERT_EQ(guide.status, 200) << guide.body;
  EXPECT_THAT(guide.body, HasSubstr("\"completion_tokens\":16"));
  EXPECT_TRUE(run_load(proxy.port(), 1, static_cast<int>(reference_cases().size()), false).empty());
  EXPECT_TRUE(run_load(proxy.port(), 1, static_cast<int>(reference_cases().size()), true).empty());
  auto failures = run_load(proxy.port(), 32, 1, true);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();

  add_pair();
  ASSERT_TRUE(wait_until([&] { return healthy(proxy, "prefill") == 2; }));
  ASSERT_TRUE(wait_until([&] { return healthy(proxy, "decode") == 2; }));
  failures = run_load(proxy.port(), 32, 2, false);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  failures = run_load(proxy.port(), 32, 1, true);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();

  leave_mid_stream(proxy.port(), 8, 200);  // clients that leave mid-stream

  for (auto* nodes : {&prefills, &decodes}) {
    for (auto& node : *nodes) {
      EXPECT_TRUE(wait_until([&] {
        return node_metric(*node, "disaggd_kv_blocks{state=\"used\"}") == 0.0;
      })) << node->url();
    }
  }
  for (auto& node : prefills) {
    EXPECT_EQ(node_metric(*node, "disaggd_kept_caches"), 0.0);
  }
  double pulled = 0;
  for (auto& node : decodes) {
    pulled += node_metric(*node, "disaggd_kv_imports_total{outcome=\"pulled\"}");
    EXPECT_GT(node_metric(*node, "disaggd_kv_imports_total{outcome=\"pulled\"}"), 0.0)
        << node->url() << " got no traffic";
    EXPECT_EQ(node_metric(*node, "disaggd_kv_imports_total{outcome=\"recomputed\"}"), 0.0);
  }
  EXPECT_GE(pulled, 100.0);
}

TEST(DistServeTest, FiveHundredRequestsWithCancelsAndAKilledDecodeNodeLeaveNoBlockBehind) {
  ProxyDaemon proxy({"--serving-strategy", "DistServe", "--routing-strategy", "random",
                     "--proxy-health-interval-ms", "100", "--proxy-health-failures", "2"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  // Handles a killed decode node never releases expire after 1 s.
  NodeDaemon prefill({"--proxy-url", proxy.url(), "--set", "node.kept_cache_ttl_ms=1000"},
                     "prefill");
  NodeDaemon survivor({"--proxy-url", proxy.url()}, "decode");
  NodeDaemon victim({"--proxy-url", proxy.url()}, "decode");
  for (NodeDaemon* node : {&prefill, &survivor, &victim}) {
    ASSERT_TRUE(node->wait_ready()) << node->process().output();
  }
  ASSERT_TRUE(wait_until([&] { return healthy(proxy, "decode") == 2; }));
  ASSERT_TRUE(wait_until([&] { return healthy(proxy, "prefill") == 1; }));

  constexpr int kClients = 8;
  constexpr int kPerClient = 60;  // 480 requests, plus 20 cancelled ones below
  std::atomic<int> sent{0};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  const std::vector<ReferenceCase> cases = reference_cases();
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int r = 0; r < kPerClient; ++r) {
        const ReferenceCase& c = cases[static_cast<std::size_t>(t + r) % cases.size()];
        json body = reference_completion(c);
        body["stream"] = (r % 2) == 1;
        ++sent;
        try {
          const HttpReply reply =
              http_call(proxy.port(), "POST", "/v1/completions", body.dump(), {}, 30);
          const std::string text =
              reply.status != 200 ? ""
              : body["stream"]    ? streamed_text(sse_events(reply.body))
                               : json::parse(reply.body)["choices"][0]["text"].get<std::string>();
          (text == c.completion_text ? ok : failed)++;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  // Not an ASSERT: the client threads must be joined whatever happens.
  EXPECT_TRUE(wait_until([&] { return sent.load() > kClients * kPerClient / 3; },
                         std::chrono::seconds(120)));
  victim.process().send_signal(SIGKILL);
  leave_mid_stream(proxy.port(), 20, 100);  // clients that leave mid-stream
  for (auto& client : clients) {
    client.join();
  }
  // Only requests already answering from the killed node can fail: at most one per client.
  EXPECT_LE(failed.load(), kClients);
  EXPECT_EQ(ok.load() + failed.load(), kClients * kPerClient);
  EXPECT_TRUE(wait_until([&] { return healthy(proxy, "decode") == 1; }));
  for (NodeDaemon* node : {&prefill, &survivor}) {
    EXPECT_TRUE(wait_until([&] {
      return node_metric(*node, "disaggd_kv_blocks{state=\"used\"}") == 0.0;
    })) << node->url();
  }
  EXPECT_EQ(node_metric(prefill, "disaggd_kept_caches"), 0.0);
}

/// A prefill node and a decode node side by side, without a proxy.
class PdNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(prefill_->wait_ready()) << prefill_->process().output();
    ASSERT_TRUE(decode_->wait_ready()) << decode_->process().output();
  }

  /// What a proxy gets from the prefill node for `c`: its cache handle.
  json handle_for(const ReferenceCase& c) {
    json body = reference_completion(c);
    body["max_tokens"] = 1;
    body["disaggd_pd"] = {{"keep_cache", true}};
    const HttpReply reply = http_call(prefill_->port(), "POST", "/v1/completions", body.dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body)["disaggd_pd"]["cache_handle"];
  }

  HttpReply decode_with(const ReferenceCase& c, const json& handle) {
    json body = reference_completion(c);
    body["disaggd_pd"] = {{"cache_handle", handle}};
    return http_call(decode_->port(), "POST", "/v1/completions", body.dump());
  }

  std::unique_ptr<NodeDaemon> prefill_ = std::make_unique<NodeDaemon>(
      std::vector<std::string>{"--set", "node.kept_cache_ttl_ms=60000"}, "prefill");
  std::unique_ptr<NodeDaemon> decode_ =
      std::make_unique<NodeDaemon>(std::vector<std::string>{}, "decode");
};

TEST_F(PdNodesTest, ForgedHandlesGetA400AndTheDecodeNodeKeepsServing) {
  const ReferenceCase c = reference_cases().front();
  const json good = handle_for(c);
  ASSERT_TRUE(good.is_object());
  std::vector<std::pair<std::string, json>> forged;
  auto edit = [&](const std::string& name, const std::function<void(json&)>& change) {
    json h = good;
    change(h);
    forged.emplace_back(name, h);
  };
  edit("one block more", [](json& h) { h["block_ids"].push_back(0); });
  edit("one block less", [](json& h) { h["block_ids"].erase(h["block_ids"].size() - 1); });
  edit("no blocks", [](json& h) { h["block_ids"] = json::array(); });
  edit("negative block", [](json& h) { h["block_ids"][0] = -5; });
  edit("other layout", [](json& h) { h["kv_layout"]["num_layers"] = 64; });
  edit("other block size", [](json& h) { h["kv_layout"]["block_size"] = 32; });
  edit("other epoch", [](json& h) { h["epoch"] = "0000000000000000"; });
  edit("token count", [](json& h) { h["num_tokens"] = 1000; });
  edit("first token", [](json& h) { h["first_token"] = 1 << 30; });
  edit("garbage endpoint", [](json& h) { h["migration_endpoint"] = "{not json"; });
  edit("garbage types", [](json& h) { h["block_ids"] = "all of them"; });
  edit("no handle id", [](json& h) { h.erase("handle_id"); });
  for (const auto& [name, handle] : forged) {
    const HttpReply reply = decode_with(c, handle);
    EXPECT_EQ(reply.status, 400) << name << ": " << reply.body;
    EXPECT_THAT(reply.body, HasSubstr("disaggd_pd.cache_handle")) << name;
  }
  const HttpReply not_an_object = http_call(
      decode_->port(), "POST", "/v1/completions",
      json({{"model", "stories260K"}, {"prompt", "x"}, {"disaggd_pd", {{"cache_handle", 3}}}})
          .dump());
  EXPECT_EQ(not_an_object.status, 400);
  // The real handle still works, and the output is the reference.
  const HttpReply ok = decode_with(c, good);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["choices"][0]["text"], c.completion_text);
  // The decode node released the handle on the prefill node: a second release is refused.
  EXPECT_TRUE(wait_until([&] { return node_metric(*prefill_, "disaggd_kept_caches") == 0.0; }));
  const HttpReply again = http_call(prefill_->port(), "POST", "/distserve/release",
                                    json({{"handle_id", good["handle_id"]}}).dump());
  EXPECT_EQ(again.status, 404) << again.body;
  // Roles are checked: a hybrid-style prefill field on a decode node is refused.
  json keep = reference_completion(c);
  keep["disaggd_pd"] = {{"keep_cache", true}};
  EXPECT_EQ(http_call(decode_->port(), "POST", "/v1/completions", keep.dump()).status, 400);
}

TEST_F(PdNodesTest, APrefillThatDiesAfterItsHandleCostsOnlyARecompute) {
  const ReferenceCase c = reference_cases().back();
  const json handle = handle_for(c);
  prefill_->process().send_signal(SIGKILL);
  prefill_->process().wait_exit(seconds(20));
  const HttpReply reply = decode_with(c, handle);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(json::parse(reply.body)["choices"][0]["text"], c.completion_text);
  EXPECT_EQ(node_metric(*decode_, "disaggd_kv_imports_total{outcome=\"recomputed\"}"), 1.0);
  EXPECT_TRUE(wait_until(
      [&] { return node_metric(*decode_, "disaggd_kv_blocks{state=\"used\"}") == 0.0; }));
}

}  // namespace
}  // namespace disaggd::testing
