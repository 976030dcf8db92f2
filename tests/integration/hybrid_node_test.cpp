// A hybrid node as a real daemon on loopback serving stories260K with the torch backend: the
// OpenAI API end to end (reference greedy outputs, streaming, chat, concurrency, bad input), and
// with the sim backend, a client that disconnects mid-stream.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
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

class HybridNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    node_ = new NodeDaemon();
    ASSERT_TRUE(node_->wait_ready()) << node_->process().output();
  }
  static void TearDownTestSuite() {
    node_->process().send_signal(SIGTERM);
    EXPECT_EQ(node_->process().wait_exit(seconds(20)), 0) << node_->process().output();
    delete node_;
    node_ = nullptr;
  }
  static HttpReply post(const std::string& path, const json& body) {
    return http_call(node_->port(), "POST", path, body.dump());
  }
  static json completion(const ReferenceCase& c, json extra = json::object()) {
    json body = {{"model", "stories260K"},
                 {"prompt", c.prompt},
                 {"max_tokens", c.generated_ids.size()},
                 {"temperature", 0}};
    body.update(extra);
    return body;
  }

  static NodeDaemon* node_;
};

NodeDaemon* HybridNodeTest::node_ = nullptr;

TEST_F(HybridNodeTest, CompletionsMatchTheReferenceGreedyOutputs) {
  for (const ReferenceCase& c : reference_cases()) {
    const HttpReply reply = post("/v1/completions", completion(c));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json body = json::parse(reply.body);
    EXPECT_EQ(body["object"], "text_completion");
    EXPECT_EQ(body["model"], "stories260K");
    EXPECT_EQ(body["choices"][0]["text"], c.completion_text) << c.prompt;
    EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(body["usage"]["prompt_tokens"], c.prompt_ids.size());
    EXPECT_EQ(body["usage"]["completion_tokens"], c.generated_ids.size());
    // The same prompt given as token ids, with echo.
    const HttpReply by_ids =
        post("/v1/completions", completion(c, {{"prompt", c.prompt_ids}, {"echo", true}}));
    ASSERT_EQ(by_ids.status, 200) << by_ids.body;
    EXPECT_EQ(json::parse(by_ids.body)["choices"][0]["text"], c.prompt + c.completion_text);
  }
}

TEST_F(HybridNodeTest, StreamedCompletionsGiveTheSameTextAndEndWithDone) {
  const ReferenceCase c = reference_cases().front();
  const HttpReply reply =
      post("/v1/completions",
           completion(c, {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
  ASSERT_EQ(reply.status, 200);
  EXPECT_THAT(reply.content_type, HasSubstr("text/event-stream"));
  const std::vector<json> events = sse_events(reply.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(streamed_text(events), c.completion_text);
  const json& usage = events[events.size() - 2];
  EXPECT_EQ(usage["usage"]["completion_tokens"], c.generated_ids.size());
  EXPECT_EQ(events[events.size() - 3]["choices"][0]["finish_reason"], "length");
}

TEST_F(HybridNodeTest, ChatCompletionsStreamedAndNotAgree) {
  const json body = {{"model", "stories260K"},
                     {"messages", {{{"role", "user"}, {"content", "Tell me a story."}}}},
                     {"max_tokens", 24},
                     {"temperature", 0}};
  const HttpReply whole = post("/v1/chat/completions", body);
  ASSERT_EQ(whole.status, 200) << whole.body;
  const json parsed = json::parse(whole.body);
  EXPECT_EQ(parsed["object"], "chat.completion");
  EXPECT_EQ(parsed["choices"][0]["message"]["role"], "assistant");
  const std::string text = parsed["choices"][0]["message"]["content"];
  EXPECT_FALSE(text.empty());
  json streamed_body = body;
  streamed_body["stream"] = true;
  const HttpReply streamed = post("/v1/chat/completions", streamed_body);
  ASSERT_EQ(streamed.status, 200);
  const std::vector<json> events = sse_events(streamed.body);
  EXPECT_EQ(events.front()["object"], "chat.completion.chunk");
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(streamed_text(events), text);
}

TEST_F(HybridNodeTest, ThirtyTwoConcurrentStreamsGetWhatEachGetsAlone) {
  const auto cases = reference_cases();
  std::vector<std::future<HttpReply>> replies;
  for (int i = 0; i < 32; ++i) {
    const ReferenceCase& c = cases[static_cast<std::size_t>(i) % cases.size()];
    replies.push_back(std::async(std::launch::async, [c] {
      return post("/v1/completions", completion(c, {{"stream", true}}));
    }));
  }
  for (int i = 0; i < 32; ++i) {
    const HttpReply reply = replies[static_cast<std::size_t>(i)].get();
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(streamed_text(sse_events(reply.body)),
              cases[static_cast<std::size_t>(i) % cases.size()].completion_text)
        << "stream " << i;
  }
}

TEST_F(HybridNodeTest, BadRequestsGetTheirStatusAndAnErrorObject) {
  struct Bad {
    std::string name;
    std::string body;
    int status;
    std::string param;
  };
  const std::vector<Bad> cases = {
      {"malformed JSON", "{\"model\": ", 400, ""},
      {"not an object", "[1, 2]", 400, ""},
      {"invalid UTF-8", "{\"model\": \"stories260K\", \"prompt\": \"\xff\xfe\"}", 400, ""},
      {"wrong type", R"({"model": "stories260K", "prompt": "hi", "max_tokens": "ten"})", 400,
       "max_tokens"},
      {"negative max_tokens", R"({"model": "stories260K", "prompt": "hi", "max_tokens": -1})", 400,
       "max_tokens"},
      {"absurd max_tokens", R"({"model": "stories260K", "prompt": "hi", "max_tokens": 100000000})",
       400, ""},
      {"temperature out of range", R"({"model": "stories260K", "prompt": "hi", "temperature": 7})",
       400, "temperature"},
      {"unknown field", R"({"model": "stories260K", "prompt": "hi", "tempreature": 1})", 400,
       "tempreature"},
      {"missing prompt", R"({"model": "stories260K"})", 400, "prompt"},
      {"unknown model", R"({"model": "gpt-9", "prompt": "hi"})", 404, "model"},
      {"prompt longer than the context",
       json({{"model", "stories260K"}, {"prompt", std::vector<int>(600, 300)}}).dump(), 400, ""},
      {"token id outside the vocabulary", R"({"model": "stories260K", "prompt": [1, 99999]})", 400,
       ""},
  };
  for (const Bad& bad : cases) {
    const HttpReply reply = http_call(node_->port(), "POST", "/v1/completions", bad.body);
    EXPECT_EQ(reply.status, bad.status) << bad.name << ": " << reply.body;
    const json error = json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(error.is_object() && error.contains("error")) << bad.name << ": " << reply.body;
    EXPECT_TRUE(error["error"]["message"].is_string()) << bad.name;
    EXPECT_TRUE(error["error"]["type"].is_string()) << bad.name;
    if (!bad.param.empty()) {
      EXPECT_EQ(error["error"]["param"], bad.param) << bad.name;
    }
  }
  // A body over server.max_body_bytes (8 MiB) is refused from its Content-Length, before it is
  // read: send only the headers and read the answer.
  const HttpReply too_large = post_headers_only(node_->port(), "/v1/completions", 9437184);
  EXPECT_EQ(too_large.status, 413);
  EXPECT_THAT(too_large.body, HasSubstr("\"code\":\"request_too_large\""));
  const HttpReply no_messages =
      post("/v1/chat/completions", {{"model", "stories260K"}, {"messages", json::array()}});
  EXPECT_EQ(no_messages.status, 400);
  // Still serving.
  const HttpReply ok = post("/v1/completions", completion(reference_cases().front()));
  EXPECT_EQ(ok.status, 200);
}

TEST_F(HybridNodeTest, ModelsHealthAndMetrics) {
  const json models = json::parse(http_get(node_->port(), "/v1/models").body);
  EXPECT_EQ(models["data"][0]["id"], "stories260K");
  EXPECT_EQ(models["data"][0]["max_model_len"], 512);
  EXPECT_EQ(http_get(node_->port(), "/health").status, 200);
  post("/v1/completions", completion(reference_cases().front()));
  const HttpReply metrics = http_get(node_->port(), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("disaggd_http_requests_total{endpoint=\"/v1/completions\","
                                      "status=\"200\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("disaggd_time_to_first_token_seconds_bucket"));
  EXPECT_THAT(metrics.body, HasSubstr("disaggd_inter_token_latency_seconds_count"));
  EXPECT_THAT(metrics.body, HasSubstr("disaggd_kv_blocks{state=\"free\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("disaggd_sequences{state=\"running\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("disaggd_generation_tokens_total"));
}

TEST(HybridNodeCancelTest, AClientThatDisconnectsMidStreamFreesItsBlocks) {
  // The sim backend takes 20 ms per decode step, so 400 tokens would take 8 s: the disconnect
  // lands while the generation runs.
  NodeDaemon node({"--backend", "sim", "--set",
                   "node.backend_options={decode_us_per_step: 20000, kv_blocks: 256}"});
  ASSERT_TRUE(node.wait_ready()) << node.process().output();
  {
    Poco::Net::StreamSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(node.port())));
    const std::string body = json({{"model", "stories260K"},
                                   {"prompt", "Once upon a time"},
                                   {"max_tokens", 400},
                                   {"ignore_eos", true},
                                   {"stream", true}})
                                 .dump();
    send_raw_post(socket, "/v1/completions", body);
    std::string seen;
    char buffer[4096];
    while (std::count(seen.begin(), seen.end(), '\n') < 12) {  // headers and a few events
      const int n = socket.receiveBytes(buffer, sizeof buffer);
      ASSERT_GT(n, 0);
      seen.append(buffer, static_cast<std::size_t>(n));
    }
    EXPECT_THAT(seen, HasSubstr("data: "));
    const std::string during = http_get(node.port(), "/metrics").body;
    EXPECT_GT(metric_value(during, "disaggd_kv_blocks{state=\"used\"}"), 0.0);
    socket.close();
  }
  double used = -1;
  double generated = -1;
  for (int i = 0; i < 100; ++i) {
    const std::string after = http_get(node.port(), "/metrics").body;
    used = metric_value(after, "disaggd_kv_blocks{state=\"used\"}");
    generated = metric_value(after, "disaggd_generation_tokens_total");
    if (used == 0.0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(used, 0.0);
  EXPECT_LT(generated, 400.0);  // stopped early, not run to the end
  node.process().send_signal(SIGTERM);
  EXPECT_EQ(node.process().wait_exit(seconds(20)), 0) << node.process().output();
}

TEST(HybridNodeMembershipTest, ANodeRegistersLeavesRotationWhenDeadAndLeavesOnShutdown) {
  BackgroundProcess proxy(
      {disaggd_binary(), "-c", source_path("configs/proxy.yaml"), "--server-name", "127.0.0.1",
       "--server-port", "0", "--proxy-admin-port", "0", "--proxy-health-interval-ms", "100",
       "--proxy-health-failures", "2"},
      Environment{{"DISAGGD_PLUGIN_PATH", std::nullopt}});
  ASSERT_TRUE(proxy.wait_for_output("proxy ready", seconds(20))) << proxy.output();
  const int proxy_port = listener_port(proxy.output(), "proxy");
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy_port);
  auto node_status = [&] { return json::parse(http_get(proxy_port, "/nodes/status").body); };
  auto wait_for = [](const std::function<bool()>& condition) {
    for (int i = 0; i < 100 && !condition(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
  };

  // A node that shuts down cleanly leaves the table.
  auto node = std::make_unique<NodeDaemon>(std::vector<std::string>{"--proxy-url", proxy_url});
  ASSERT_TRUE(node->wait_ready()) << node->process().output();
  const std::string url = "http://127.0.0.1:" + std::to_string(node->port());
  ASSERT_TRUE(wait_for([&] { return node_status().contains(url); })) << proxy.output();
  const json entry = node_status()[url];
  EXPECT_EQ(entry["role"], "hybrid");
  EXPECT_EQ(entry["models"], json({"stories260K"}));
  EXPECT_EQ(entry["healthy"], true);
  node->process().send_signal(SIGTERM);
  EXPECT_EQ(node->process().wait_exit(seconds(20)), 0) << node->process().output();
  EXPECT_TRUE(wait_for([&] { return !node_status().contains(url); }));

  // A node that dies leaves rotation after two failed health checks, not one, and stays listed.
  node = std::make_unique<NodeDaemon>(std::vector<std::string>{"--proxy-url", proxy_url});
  ASSERT_TRUE(node->wait_ready()) << node->process().output();
  const std::string second = "http://127.0.0.1:" + std::to_string(node->port());
  ASSERT_TRUE(wait_for([&] { return node_status().contains(second); }));
  node->process().send_signal(SIGKILL);
  node->process().wait_exit(seconds(20));
  EXPECT_TRUE(wait_for([&] { return node_status()[second]["healthy"] == false; }));
  EXPECT_GE(node_status()[second]["consecutive_failures"].get<int>(), 2);

  proxy.send_signal(SIGTERM);
  EXPECT_EQ(proxy.wait_exit(seconds(20)), 0) << proxy.output();
}

// A proxy that has just (re)started holds requests until its first node registers, within the
// start-up grace, instead of answering 503 while the nodes are on their way back.
TEST(HybridProxyTest, AFreshProxyHoldsRequestsUntilItsFirstNodeRegisters) {
  ProxyDaemon proxy({"--serving-strategy", "Hybrid", "--routing-strategy", "random"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  const ReferenceCase c = reference_cases().front();
  auto held = std::async(std::launch::async, [&] {
    return http_call(proxy.port(), "POST", "/v1/completions", reference_completion(c).dump());
  });
  ASSERT_TRUE(wait_until([&] {
    return proxy.process().output().find("no node registered yet") != std::string::npos;
  })) << proxy.process().output();
  NodeDaemon node({"--proxy-url", proxy.url()});
  ASSERT_TRUE(node.wait_ready()) << node.process().output();
  const HttpReply answer = held.get();
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(json::parse(answer.body)["choices"][0]["text"], c.completion_text);
}

TEST(HybridProxyTest, TheProxyRelaysToNodesRetriesADeadOneAndSays503WithoutNodes) {
  BackgroundProcess proxy({disaggd_binary(), "-c", source_path("configs/proxy.yaml"),
                           "--server-name", "127.0.0.1", "--server-port", "0", "--proxy-admin-port",
                           "0", "--serving-strategy", "Hybrid", "--routing-strategy", "random",
                           "--proxy-health-interval-ms", "100", "--proxy-startup-grace-ms", "0"},
                          Environment{{"DISAGGD_PLUGIN_PATH", std::nullopt}});
  ASSERT_TRUE(proxy.wait_for_output("proxy ready", seconds(20))) << proxy.output();
  const int port = listener_port(proxy.output(), "proxy");
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(port);
  const ReferenceCase c = reference_cases().front();
  const json body = {{"model", "stories260K"},
                     {"prompt", c.prompt},
                     {"max_tokens", c.generated_ids.size()},
                     {"temperature", 0}};

  const HttpReply none = http_call(port, "POST", "/v1/completions", body.dump());
  EXPECT_EQ(none.status, 503);
  EXPECT_THAT(none.body, HasSubstr("no_node_available"));

  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  for (int i = 0; i < 2; ++i) {
    nodes.push_back(
        std::make_unique<NodeDaemon>(std::vector<std::string>{"--proxy-url", proxy_url}));
    ASSERT_TRUE(nodes.back()->wait_ready()) << nodes.back()->process().output();
  }
  for (int i = 0; i < 100 && json::parse(http_get(port, "/nodes/status").body).size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const json models = json::parse(http_get(port, "/v1/models").body);
  EXPECT_EQ(models["data"][0]["id"], "stories260K");

  for (int i = 0; i < 6; ++i) {
    const HttpReply reply = http_call(port, "POST", "/v1/completions", body.dump());
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(json::parse(reply.body)["choices"][0]["text"], c.completion_text);
  }
  json streamed = body;
  streamed["stream"] = true;
  const HttpReply relayed = http_call(port, "POST", "/v1/completions", streamed.dump());
  ASSERT_EQ(relayed.status, 200);
  EXPECT_EQ(streamed_text(sse_events(relayed.body)), c.completion_text);
  EXPECT_EQ(sse_events(relayed.body).back(), "[DONE]");
  // A node's own 4xx comes back unchanged.
  const HttpReply bad = http_call(port, "POST", "/v1/completions",
                                  R"({"model": "stories260K", "prompt": "x", "top_p": 0})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("\"param\":\"top_p\""));

  // Kill one node: every request still succeeds (retried on the other before any byte).
  nodes[0]->process().send_signal(SIGKILL);
  nodes[0]->process().wait_exit(seconds(20));
  for (int i = 0; i < 6; ++i) {
    const HttpReply reply = http_call(port, "POST", "/v1/completions", body.dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
  }
  const std::string metrics = http_get(port, "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("disaggd_proxy_requests_total{route=\"/v1/completions\","
                                 "status=\"200\"}"));
  EXPECT_THAT(metrics, HasSubstr("disaggd_proxy_requests_total{route=\"/v1/completions\","
                                 "status=\"503\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("disaggd_proxy_upstream_seconds_count{node=\""));
  EXPECT_THAT(metrics, HasSubstr("disaggd_proxy_nodes{state=\"healthy\"}"));
  nodes[1]->process().send_signal(SIGTERM);
  EXPECT_EQ(nodes[1]->process().wait_exit(seconds(20)), 0);
  proxy.send_signal(SIGTERM);
  EXPECT_EQ(proxy.wait_exit(seconds(20)), 0) << proxy.output();
}

}  // namespace
}  // namespace disaggd::testing
