// The proxy's admin endpoint and client-facing guards with real daemons on loopback: routing
// strategies swapped ten times under 200 concurrent streams (a third-party plugin dropped in at
// run time, a rewritten plugin file, broken plugins refused), the admin token, client API keys,
// and the per-request deadline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "integration/support/daemons.h"
#include "integration/support/http_client.h"

namespace disaggd::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

const char kToken[] = "admin-secret";

std::filesystem::path fixture_root() {
  return std::filesystem::path(DISAGGD_TEST_BINARY_DIR) / "tests" / "fixtures";
}

/// A scratch plugin directory the running proxy scans.
struct DropDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("disaggd-drop-" + std::to_string(::getpid()));
  DropDir() { std::filesystem::create_directories(path); }
  ~DropDir() { std::filesystem::remove_all(path); }

  /// Installs `from` as the plugin file `name` the way packages do (write, then rename).
  void drop(const std::filesystem::path& from, const std::string& name) const {
    const auto staged = path / (name + ".new");
    std::filesystem::copy_file(from, staged, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(staged, path / name);
  }
};

HttpReply admin(const ProxyDaemon& proxy, const std::string& method, const std::string& path,
                const std::string& body = "", const std::string& token = kToken) {
  HttpHeaders headers;
  if (!token.empty()) {
    headers.emplace_back("Authorization", "Bearer " + token);
  }
  return http_call(proxy.admin_port(), method, path, body, headers);
}

int healthy_nodes(const ProxyDaemon& proxy) {
  int healthy = 0;
  const json table = json::parse(http_get(proxy.port(), "/nodes/status").body);
  for (const auto& [url, node] : table.items()) {
    healthy += node["healthy"] == true ? 1 : 0;
  }
  return healthy;
}

TEST(ProxyHotSwapTest, TenSwapsUnder200StreamsLoseNothingAndBrokenPluginsAreRefused) {
  DropDir drop;
  ProxyDaemon proxy({"--serving-strategy", "Hybrid", "--routing-strategy", "random",
                     "--server-max-threads", "400", "--plugin-dir", drop.path.string(),
                     "--proxy-admin-token", kToken});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<NodeDaemon>(
        std::vector<std::string>{"--proxy-url", proxy.url(), "--max-batch-size", "256"}));
  }
  for (auto& node : nodes) {
    ASSERT_TRUE(node->wait_ready()) << node->process().output();
  }
  ASSERT_TRUE(wait_until([&] { return healthy_nodes(proxy) == 3; }));

  // 200 clients stream completions until the swaps are over; every answer must be whole.
  const std::vector<ReferenceCase> cases = reference_cases();
  std::atomic<bool> swapping{true};
  std::atomic<int> completed{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&, i] {
      const ReferenceCase& c = cases[static_cast<std::size_t>(i) % cases.size()];
      json body = reference_completion(c);
      body["stream"] = true;
      auto fail = [&](const std::string& what) {
        std::lock_guard<std::mutex> lock(failures_mutex);
        failures.push_back(what);
      };
      do {
        try {
          const HttpReply reply = http_call(proxy.port(), "POST", "/v1/completions", body.dump());
          const auto events = sse_events(reply.body);
          if (reply.status != 200 || events.empty() || events.back() != "[DONE]" ||
              streamed_text(events) != c.completion_text) {
            fail(std::to_string(reply.status) + ": " + reply.body.substr(0, 300));
          }
        } catch (const std::exception& e) {
          fail(std::string("exception: ") + e.what());
        }
        ++completed;
      } while (swapping);
    });
  }

  // No admin call without the right token does anything.
  for (const std::string& token : {std::string(), std::string("wrong")}) {
    EXPECT_EQ(admin(proxy, "PUT", "/admin/routing", R"({"strategy": "random"})", token).status,
              401);
    EXPECT_EQ(admin(proxy, "GET", "/admin/routing", "", token).status, 401);
    EXPECT_EQ(admin(proxy, "POST", "/admin/plugins/rescan", "", token).status, 401);
  }

  struct Step {
    std::string drop_case;  ///< Fixture file to drop in first ("" for none).
    std::string drop_from;  ///< Fixture subdirectory it comes from.
    std::string body;
    int status;
    std::string expect;  ///< In the answer.
  };
  const std::vector<Step> steps = {
      {"", "", R"({"strategy": "min_observed_latency"})", 200, "\"generation\":1"},
      {"", "", R"({"strategy": "min_expected_latency"})", 200, "\"generation\":2"},
      {"round_robin", "third_party", R"({"strategy": "round_robin", "options": {"start": 1}})", 200,
       "\"version\":\"1.0.0\""},
      {"select_fails", "plugins", R"({"strategy": "select_fails"})", 400, "failed its dry run"},
      {"other_abi_major", "plugins", R"({"strategy": "other_abi_major"})", 400,
       "major versions must match"},
      {"", "", R"({"strategy": "round_robin", "options": {"strat": 1}})", 400,
       "unknown option 'strat'"},
      {"minimal_c", "plugins", R"({"strategy": "minimal_c"})", 200, "\"version\":\"0.1.0\""},
      {"minimal_c", "minimal_c_v2", R"({"strategy": "minimal_c"})", 200, "\"version\":\"2.0.0\""},
      {"", "", R"({"strategy": "random", "options": {"seed": 5}})", 200, "\"strategy\":\"random\""},
      {"", "", R"({"strategy": "min_observed_latency"})", 200, "\"generation\":7"},
  };
  int swaps = 0;
  for (const Step& step : steps) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // let streams cross the swap
    if (!step.drop_case.empty()) {
      const std::string name = "libdisaggd_routing_" + step.drop_case + ".so";
      drop.drop(fixture_root() / step.drop_from / name, name);
      const HttpReply rescan = admin(proxy, "POST", "/admin/plugins/rescan");
      ASSERT_EQ(rescan.status, 200) << rescan.body;
      EXPECT_THAT(rescan.body, HasSubstr(name));
    }
    const json before = json::parse(admin(proxy, "GET", "/admin/routing").body);
    const HttpReply reply = admin(proxy, "PUT", "/admin/routing", step.body);
    EXPECT_EQ(reply.status, step.status) << step.body << " -> " << reply.body;
    EXPECT_THAT(reply.body, HasSubstr(step.expect)) << step.body;
    const json after = json::parse(admin(proxy, "GET", "/admin/routing").body);
    if (step.status == 200) {
      ++swaps;
      EXPECT_EQ(after["generation"], before["generation"].get<int>() + 1);
    } else {
      EXPECT_EQ(after, before) << "a refused swap changed the active strategy";
    }
  }
  EXPECT_EQ(swaps, 7);
  swapping = false;
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  EXPECT_GE(completed.load(), 200);
  // The last strategy routes requests.
  const HttpReply last = http_call(proxy.port(), "POST", "/v1/completions",
                                   reference_completion(cases.front()).dump());
  EXPECT_EQ(last.status, 200) << last.body;
  EXPECT_THAT(proxy.process().output(), HasSubstr("routing strategy swapped"));
}

TEST(ProxyGuardsTest, ClientKeysAreRequiredOnlyWhereConfigured) {
  ProxyDaemon proxy({"--serving-strategy", "Hybrid", "--api-keys", "key-one, key-two"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  NodeDaemon node({"--proxy-url", proxy.url()});
  ASSERT_TRUE(node.wait_ready()) << node.process().output();
  ASSERT_TRUE(wait_until([&] { return healthy_nodes(proxy) == 1; }));
  const std::string body = reference_completion(reference_cases().front()).dump();

  const HttpReply missing = http_call(proxy.port(), "POST", "/v1/completions", body);
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.body, HasSubstr("\"code\":\"invalid_api_key\""));
  const HttpReply wrong = http_call(proxy.port(), "POST", "/v1/completions", body,
                                    {{"Authorization", "Bearer key-three"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(http_get(proxy.port(), "/v1/models").status, 401);
  for (const char* key : {"key-one", "key-two"}) {
    const HttpReply ok = http_call(proxy.port(), "POST", "/v1/completions", body,
                                   {{"Authorization", std::string("Bearer ") + key}});
    EXPECT_EQ(ok.status, 200) << ok.body;
  }
  // Health and membership stay open to the nodes and to load balancers.
  EXPECT_EQ(http_get(proxy.port(), "/health").status, 200);
  EXPECT_EQ(http_get(proxy.port(), "/nodes/status").status, 200);
}

TEST(ProxyGuardsTest, TheDeadlineEndsASlowRequestAndTheNodeFreesItsBlocks) {
  ProxyDaemon proxy({"--serving-strategy", "Hybrid", "--proxy-request-timeout-ms", "400"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  // 30 ms per decode step: 200 tokens would take 6 s.
  NodeDaemon node({"--proxy-url", proxy.url(), "--backend", "sim", "--set",
                   "node.backend_options={decode_us_per_step: 30000, kv_blocks: 256}"});
  ASSERT_TRUE(node.wait_ready()) << node.process().output();
  ASSERT_TRUE(wait_until([&] { return healthy_nodes(proxy) == 1; }));
  json body = {{"model", "stories260K"},
               {"prompt", "Once upon a time"},
               {"max_tokens", 200},
               {"ignore_eos", true}};

  const auto start = std::chrono::steady_clock::now();
  const HttpReply whole = http_call(proxy.port(), "POST", "/v1/completions", body.dump());
  EXPECT_EQ(whole.status, 504) << whole.body;
  EXPECT_THAT(whole.body, HasSubstr("\"code\":\"deadline_exceeded\""));
  body["stream"] = true;
  const HttpReply streamed = http_call(proxy.port(), "POST", "/v1/completions", body.dump());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_EQ(streamed.status, 200);
  const auto events = sse_events(streamed.body);
  EXPECT_FALSE(events.empty());
  EXPECT_TRUE(events.empty() || events.back() != "[DONE]") << "the stream was not cut off";

  // Dropping the upstream connection cancelled both generations on the node.
  EXPECT_TRUE(wait_until([&] {
    return metric_value(http_get(node.port(), "/metrics").body,
                        "disaggd_kv_blocks{state=\"used\"}") == 0.0;
  }));
}

}  // namespace
}  // namespace disaggd::testing
