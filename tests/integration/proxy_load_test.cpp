// The proxy under load, with real daemons on loopback: a proxy in Hybrid mode in front of hybrid
// nodes on the sim backend (realistic, configurable step times; what the nodes say is irrelevant
// here). Where requests go under each routing strategy, a node joining under load, a node killed
// under load and restarted, a stream cut by a dying node, and bad requests answered through the
// proxy as the node answers them.
//
// Where a request went is read from the proxy's GET /nodes/status (`completed` per node) and
// checked against each node's own /metrics. Every bound below follows from the strategy's
// definition whatever the machine's speed (no timing is asserted); the random strategy's counts
// get bounds a correct strategy misses with a chance under 1e-8, and every proxy is seeded, so a
// run repeats the same random choices.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <nlohmann/json.hpp>

#include "integration/support/daemons.h"
#include "integration/support/http_client.h"

namespace disaggd::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kModel[] = "stories260K";
/// Client threads of every load: at most this many requests are in flight at once.
constexpr int kClients = 8;

/// A hybrid node on the sim backend (stories260K's shape and tokenizer) taking at least
/// `decode_us_per_step` per decode step, plus `extra` arguments.
std::unique_ptr<NodeDaemon> sim_node(int decode_us_per_step, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--backend", "sim", "--set",
                                   "node.backend_options={decode_us_per_step: " +
                                       std::to_string(decode_us_per_step) + ", kv_blocks: 1024}"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<NodeDaemon>(args);
}

/// A proxy serving Hybrid with `routing`, seeded so that its random choices repeat.
ProxyDaemon hybrid_proxy(const std::string& routing, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--serving-strategy", "Hybrid",
                                   "--routing-strategy", routing,
                                   "--routing-option",   "seed=20261126"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ProxyDaemon(args);
}

/// The proxy's GET /nodes/status: url → {healthy, in_flight, completed, failed, epoch, ...}.
json nodes_status(const ProxyDaemon& proxy) {
  return json::parse(http_get(proxy.port(), "/nodes/status").body);
}

/// Registers `node` with `proxy` in LMDeploy's form, which carries a speed (a disaggd node
/// registering itself advertises none).
void add_node(const ProxyDaemon& proxy, const NodeDaemon& node, double speed) {
  const json body = {{"url", node.url()},
                     {"status", {{"models", {kModel}}, {"role", 1}, {"speed", speed}}}};
  const HttpReply reply = http_call(proxy.port(), "POST", "/nodes/add", body.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
}

/// A completion of exactly `max_tokens` tokens (the sim never produces an end-of-sequence id).
json completion(int max_tokens, bool stream = false) {
  return {{"model", kModel},
          {"prompt", "Once upon a time"},
          {"max_tokens", max_tokens},
          {"temperature", 0},
          {"stream", stream}};
}

/// Completions a node answered with 200, by its own /metrics.
int node_completions(const NodeDaemon& node) {
  return static_cast<int>(
      metric_value(http_get(node.port(), "/metrics").body,
                   R"(disaggd_http_requests_total{endpoint="/v1/completions",status="200"})", 0.0));
}

/// How the client saw one request end.
enum class Verdict {
  kOk,        ///< 200 and the whole answer (a stream up to [DONE], or every token).
  kCut,       ///< 200, then an incomplete answer: bytes had reached the client.
  kNoAnswer,  ///< An error status or no response at all: nothing of an answer arrived.
};

Verdict judge(const HttpReply& reply, const json& request) {
  if (reply.status != 200) {
    return Verdict::kNoAnswer;
  }
  if (request.value("stream", false)) {
    const std::string done = "data: [DONE]\n\n";
    return reply.body.ends_with(done) ? Verdict::kOk : Verdict::kCut;
  }
  const json body = json::parse(reply.body, nullptr, false);
  const bool whole = body.is_object() && body.contains("usage") &&
                     body["usage"].value("completion_tokens", -1) == request["max_tokens"];
  return whole ? Verdict::kOk : Verdict::kCut;
}

/// What the clients of a Load saw.
struct Tally {
  int ok = 0;
  int cut = 0;
  int no_answer = 0;
  std::vector<std::string> problems;  ///< The first few that were not kOk, for the failure text.

  int answered() const { return ok + cut + no_answer; }
  void add(Verdict verdict, const std::string& problem) {
    switch (verdict) {
      case Verdict::kOk:
        ++ok;
        return;
      case Verdict::kCut:
        ++cut;
        break;
      case Verdict::kNoAnswer:
        ++no_answer;
        break;
    }
    if (problems.size() < 10) {
      problems.push_back(problem);
    }
  }
};

std::ostream& operator<<(std::ostream& out, const Tally& t) {
  out << t.ok << " ok, " << t.cut << " cut mid-answer, " << t.no_answer << " without an answer";
  for (const std::string& problem : t.problems) {
    out << "\n  " << problem;
  }
  return out;
}

/// kClients threads that send POST /v1/completions through the proxy in a loop, each waiting for
/// its answer before sending the next, until `requests` were sent in all or stop().
class Load {
 public:
  /// Client `i` sends `request_for(i)`.
  Load(int port, int requests, std::function<json(int)> request_for)
      : port_(port), requests_(requests), request_for_(std::move(request_for)) {
    for (int i = 0; i < kClients; ++i) {
      threads_.emplace_back([this, i](std::stop_token stop) { run(i, stop); });
    }
  }
  ~Load() { stop(); }

  /// Lets every client finish its request in flight and stops them.
  Tally stop() {
    for (std::jthread& thread : threads_) {
      thread.request_stop();
    }
    for (std::jthread& thread : threads_) {
      if (thread.joinable()) {
        thread.join();
      }
    }
    return tally();
  }
  Tally tally() const {
    std::lock_guard lock(mutex_);
    return tally_;
  }
  /// Waits until `count` requests were answered (or failed); false after `timeout`.
  bool wait_answered(int count, seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return tally_.answered() >= count; });
  }

 private:
  void run(int client, const std::stop_token& stop) {
    const json request = request_for_(client);
    const std::string body = request.dump();
    while (!stop.stop_requested() && sent_.fetch_add(1) < requests_) {
      Verdict verdict = Verdict::kNoAnswer;
      std::string problem;
      try {
        const HttpReply reply = http_call(port_, "POST", "/v1/completions", body);
        verdict = judge(reply, request);
        problem = std::to_string(reply.status) + ": " + reply.body.substr(0, 300);
      } catch (const Poco::Exception& e) {
        problem = "exception: " + e.displayText();
      } catch (const std::exception& e) {
        problem = std::string("exception: ") + e.what();
      }
      std::lock_guard lock(mutex_);
      tally_.add(verdict, "client " + std::to_string(client) + ": " + problem);
      changed_.notify_all();
    }
  }

  const int port_;
  const int requests_;
  const std::function<json(int)> request_for_;
  std::atomic<int> sent_{0};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Tally tally_;
  std::vector<std::jthread> threads_;  // last: stopped before the members they use
};

/// Starts every node, then waits for all: they load side by side.
void start_all(std::vector<std::unique_ptr<NodeDaemon>>& nodes) {
  for (auto& node : nodes) {
    ASSERT_TRUE(node->wait_ready()) << node->process().output();
  }
}

/// GET /nodes/status once the proxy has closed the books on every request: a client can have the
/// last byte of an answer a moment before the proxy records the request as done.
json settled_status(const ProxyDaemon& proxy) {
  json status;
  const bool settled = wait_until(
      [&] {
        status = nodes_status(proxy);
        return std::all_of(status.begin(), status.end(),
                           [](const json& node) { return node.at("in_flight") == 0; });
      },
      seconds(10));
  EXPECT_TRUE(settled) << status.dump();
  return status;
}

/// `completed` per node by the proxy, in the order of `nodes`, after checking that each node's
/// own /metrics agree (a node counts a request once its handler has returned, which can be a
/// moment after the proxy saw the end of the answer).
std::vector<int> completed_per_node(const ProxyDaemon& proxy,
                                    const std::vector<std::unique_ptr<NodeDaemon>>& nodes) {
  const json status = settled_status(proxy);
  std::vector<int> counts;
  for (const auto& node : nodes) {
    const int count = status.at(node->url()).at("completed").get<int>();
    EXPECT_TRUE(wait_until([&] { return node_completions(*node) == count; }, seconds(10)))
        << node->url() << ": the proxy counts " << count << ", the node "
        << node_completions(*node);
    counts.push_back(count);
  }
  return counts;
}

/// Sends `count` requests one at a time, each once the proxy has recorded the previous one.
void send_one_at_a_time(const ProxyDaemon& proxy, int count, const json& request) {
  for (int i = 0; i < count; ++i) {
    const HttpReply reply = http_call(proxy.port(), "POST", "/v1/completions", request.dump());
    ASSERT_EQ(reply.status, 200) << reply.body;
    settled_status(proxy);
  }
}

std::vector<int> minus(std::vector<int> a, const std::vector<int>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] -= b[i];
  }
  return a;
}

std::string describe(const std::vector<int>& counts) {
  std::string text;
  for (const int count : counts) {
    text += (text.empty() ? "" : " / ") + std::to_string(count);
  }
  return text;
}

// random: each request goes to node i with probability speed_i / sum of speeds, whatever the load.
// Speeds 1, 4, 1 give 1/6, 2/3, 1/6. One at a time, 120 requests reach every node (a node misses
// all of them with a chance of (5/6)^120 < 1e-9). Under load, each count must lie within 6
// standard deviations of its mean (a chance under 1e-8 of falling outside). A strategy that
// ignores the speeds (100 each), always picks one node, or always the fastest fails.
TEST(ProxyLoadTest, RandomSpreadsRequestsInProportionToSpeed) {
  ProxyDaemon proxy = hybrid_proxy("random");
  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(sim_node(0));
  }
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  start_all(nodes);
  const std::vector<double> speeds = {1, 4, 1};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    add_node(proxy, *nodes[i], speeds[i]);
  }

  send_one_at_a_time(proxy, 120, completion(2));
  const std::vector<int> alone = completed_per_node(proxy, nodes);
  EXPECT_THAT(alone, ::testing::Each(::testing::Gt(0))) << describe(alone);

  constexpr int kRequests = 300;
  Load load(proxy.port(), kRequests, [](int) { return completion(2); });
  ASSERT_TRUE(load.wait_answered(kRequests, seconds(60))) << load.tally();
  const Tally tally = load.stop();
  ASSERT_EQ(tally.ok, kRequests) << tally;

  const std::vector<int> counts = minus(completed_per_node(proxy, nodes), alone);
  int total = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const double p = speeds[i] / 6.0;
    const double mean = kRequests * p;
    const double tolerance = 6.0 * std::sqrt(kRequests * p * (1.0 - p));
    EXPECT_NEAR(counts[i], mean, tolerance) << "node " << i << " of " << describe(counts);
    total += counts[i];
  }
  EXPECT_EQ(total, kRequests);
}

// min_expected_latency: the node with the least (in_flight + 1) / speed. One at a time, a request
// finds every node idle and always goes to the fastest one (speed 4). Under load from kClients
// clients, a slow node (speed 1) gets a request only while the fast one has at least 3 in flight:
// the fast node keeps about 6 of the 8 requests and each slow one about 1, so the fast one
// answers most and each slow one some.
TEST(ProxyLoadTest, MinExpectedLatencyFavoursTheFastNodeAndSpillsOverUnderLoad) {
  ProxyDaemon proxy = hybrid_proxy("min_expected_latency");
  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(sim_node(5000));  // 20 tokens: at least 100 ms a request
  }
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  start_all(nodes);
  const std::vector<double> speeds = {1, 4, 1};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    add_node(proxy, *nodes[i], speeds[i]);
  }

  send_one_at_a_time(proxy, 10, completion(4));
  const std::vector<int> alone = completed_per_node(proxy, nodes);
  EXPECT_EQ(alone, (std::vector<int>{0, 10, 0})) << describe(alone);

  constexpr int kRequests = 160;
  Load load(proxy.port(), kRequests, [](int) { return completion(20); });
  ASSERT_TRUE(load.wait_answered(kRequests, seconds(60))) << load.tally();
  const Tally tally = load.stop();
  ASSERT_EQ(tally.ok, kRequests) << tally;

  const std::vector<int> counts = minus(completed_per_node(proxy, nodes), alone);
  EXPECT_GT(counts[0], 0) << describe(counts);
  EXPECT_GT(counts[2], 0) << describe(counts);
  EXPECT_GT(counts[1], counts[0] + counts[2]) << describe(counts);
}

// min_observed_latency: the node with the lowest mean recent latency, nodes without one first.
// The slow node (registered first) takes at least 800 ms a request, the others a few tens of ms.
// One at a time, the first three requests go one to each node (an unmeasured node first), and
// after that never to the slow one, under load neither. A random choice, a first-node choice, one
// by in-flight requests, or one that ranks unmeasured nodes last (LMDeploy's) fails.
TEST(ProxyLoadTest, MinObservedLatencyTriesEveryNodeThenAvoidsTheSlowOne) {
  ProxyDaemon proxy = hybrid_proxy("min_observed_latency");
  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  nodes.push_back(sim_node(50000));  // 16 tokens: at least 800 ms
  nodes.push_back(sim_node(1000));
  nodes.push_back(sim_node(1000));
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  start_all(nodes);
  for (const auto& node : nodes) {
    add_node(proxy, *node, 1.0);
  }

  send_one_at_a_time(proxy, 12, completion(16));
  const std::vector<int> alone = completed_per_node(proxy, nodes);
  EXPECT_EQ(alone[0], 1) << describe(alone);
  EXPECT_GE(alone[1], 1) << describe(alone);
  EXPECT_GE(alone[2], 1) << describe(alone);

  constexpr int kRequests = 200;
  Load load(proxy.port(), kRequests, [](int) { return completion(16); });
  ASSERT_TRUE(load.wait_answered(kRequests, seconds(60))) << load.tally();
  const Tally tally = load.stop();
  ASSERT_EQ(tally.ok, kRequests) << tally;

  const std::vector<int> counts = minus(completed_per_node(proxy, nodes), alone);
  EXPECT_EQ(counts[0], 0) << describe(counts);
  EXPECT_EQ(counts[1] + counts[2], kRequests) << describe(counts);
}

// min_observed_latency tries a node without a latency before every measured one, so a node that
// registers while the others are busy gets the very next request.
TEST(ProxyLoadTest, MinObservedLatencySendsTrafficToANodeThatJoinsUnderLoad) {
  ProxyDaemon proxy = hybrid_proxy("min_observed_latency");
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  for (int i = 0; i < 2; ++i) {
    nodes.push_back(sim_node(2000, std::vector<std::string>{"--proxy-url", proxy.url()}));
  }
  start_all(nodes);
  ASSERT_TRUE(wait_until([&] { return nodes_status(proxy).size() == 2; }, seconds(20)))
      << nodes_status(proxy).dump();

  Load load(proxy.port(), INT_MAX, [](int) { return completion(10); });
  ASSERT_TRUE(load.wait_answered(40, seconds(60))) << load.tally();
  nodes.push_back(sim_node(2000, std::vector<std::string>{"--proxy-url", proxy.url()}));
  NodeDaemon& joined = *nodes.back();
  ASSERT_TRUE(joined.wait_ready()) << joined.process().output();
  ASSERT_TRUE(wait_until([&] { return nodes_status(proxy).contains(joined.url()); }, seconds(20)))
      << nodes_status(proxy).dump();
  const int answered_when_joined = load.tally().answered();
  EXPECT_TRUE(wait_until([&] { return node_completions(joined) >= 1; }, seconds(30)))
      << nodes_status(proxy).dump();
  EXPECT_TRUE(load.wait_answered(answered_when_joined + 40, seconds(60))) << load.tally();
  const Tally tally = load.stop();
  EXPECT_EQ(tally.ok, tally.answered()) << tally;

  const std::vector<int> counts = completed_per_node(proxy, nodes);
  EXPECT_GE(counts[2], 1) << describe(counts);
  EXPECT_EQ(counts[0] + counts[1] + counts[2], tally.answered()) << describe(counts);
}

// A node killed with SIGKILL under load from kClients clients (half of them streaming): a request
// that had no byte of an answer yet is retried on another node and succeeds, so only the streams
// the node was sending at that moment can fail (at most kClients). The node leaves rotation after
// --proxy-health-failures failures, and once restarted on the same port it registers again
// (a newer epoch) and gets traffic.
TEST(ProxyLoadTest, AKilledNodeCostsOnlyItsOpenStreamsAndReturnsAfterARestart) {
  ProxyDaemon proxy = hybrid_proxy("min_expected_latency", {"--proxy-health-interval-ms", "100",
                                                            "--proxy-health-failures", "2"});
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  const std::vector<std::string> register_with = {"--proxy-url", proxy.url()};
  std::vector<std::unique_ptr<NodeDaemon>> nodes;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(sim_node(5000, register_with));
  }
  start_all(nodes);
  ASSERT_TRUE(wait_until([&] { return nodes_status(proxy).size() == 3; }, seconds(20)))
      << nodes_status(proxy).dump();

  // 20 tokens at 5 ms a step: each request at least 100 ms, so the kill finds some in flight.
  Load load(proxy.port(), INT_MAX, [](int client) { return completion(20, client % 2 == 0); });
  ASSERT_TRUE(load.wait_answered(24, seconds(60))) << load.tally();

  const int victim_port = nodes[1]->port();
  const std::string victim = nodes[1]->url();
  const json before = nodes_status(proxy).at(victim);
  nodes[1]->process().send_signal(SIGKILL);
  ASSERT_TRUE(nodes[1]->process().wait_exit(seconds(10)));
  const int answered_at_kill = load.tally().answered();

  EXPECT_TRUE(wait_until([&] { return nodes_status(proxy).at(victim).at("healthy") == false; },
                         seconds(10)))
      << nodes_status(proxy).dump();
  EXPECT_GE(nodes_status(proxy).at(victim).at("consecutive_failures").get<int>(), 2);
  // Out of rotation: traffic goes on, and none of it is sent to the dead node (a request sent to
  // it would fail and count in its `failed`).
  EXPECT_TRUE(load.wait_answered(answered_at_kill + 16, seconds(60))) << load.tally();
  const json out = nodes_status(proxy).at(victim);
  EXPECT_TRUE(load.wait_answered(load.tally().answered() + 16, seconds(60))) << load.tally();
  EXPECT_EQ(nodes_status(proxy).at(victim).at("failed"), out.at("failed"));
  EXPECT_EQ(nodes_status(proxy).at(victim).at("healthy"), false);

  std::vector<std::string> same_port = register_with;
  same_port.insert(same_port.end(), {"--set", "server.port=" + std::to_string(victim_port)});
  nodes[1] = sim_node(5000, same_port);
  ASSERT_TRUE(nodes[1]->wait_ready()) << nodes[1]->process().output();
  EXPECT_TRUE(wait_until(
      [&] {
        const json entry = nodes_status(proxy).at(victim);
        return entry.at("healthy") == true && entry.at("epoch") > before.at("epoch");
      },
      seconds(20)))
      << nodes_status(proxy).dump();
  EXPECT_TRUE(wait_until([&] { return node_completions(*nodes[1]) >= 1; }, seconds(30)))
      << nodes_status(proxy).dump();
  const Tally tally = load.stop();

  EXPECT_EQ(tally.no_answer, 0) << tally;
  EXPECT_LE(tally.cut, kClients) << tally;
  EXPECT_GT(tally.ok, 0) << tally;
}

/// Sends a streamed completion on a raw connection to `port` and returns once the answer's
/// headers and first event have arrived (so that the generation is running), with what arrived.
std::string start_stream(Poco::Net::StreamSocket& socket, int port) {
  socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  socket.setReceiveTimeout(Poco::Timespan(20, 0));
  const std::string body = completion(50, true).dump();
  send_raw_post(socket, "/v1/completions", body);
  std::string seen;
  char buffer[4096];
  int n = 0;
  while (seen.find("data: ") == std::string::npos &&
         (n = socket.receiveBytes(buffer, sizeof buffer)) > 0) {
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  return seen;
}

/// Reads `socket` until the peer closes it, a chunked body's last chunk arrives, or nothing comes
/// for 20 s; appends what arrived to `seen`, and says whether the body ended with its last chunk.
bool read_to_the_end(Poco::Net::StreamSocket& socket, std::string& seen) {
  const std::string last_chunk = "\r\n0\r\n\r\n";
  char buffer[4096];
  try {
    int n = 0;
    while (!seen.ends_with(last_chunk) && (n = socket.receiveBytes(buffer, sizeof buffer)) > 0) {
      seen.append(buffer, static_cast<std::size_t>(n));
    }
  } catch (const Poco::Exception&) {
    // A reset or a timeout: no last chunk.
  }
  return seen.ends_with(last_chunk);
}

// A node that dies mid-stream leaves the client with part of an answer, and the client must be
// able to tell. From the node directly, the connection closes without the chunked body's last
// chunk, which any HTTP client reports as an incomplete body. Through the proxy, the body must not
// end as if complete either (unless the proxy says what happened in an error event).
TEST(ProxyFailureTest, AStreamCutByADyingNodeDoesNotEndAsIfComplete) {
  ProxyDaemon proxy = hybrid_proxy("random");
  // 100 ms a token: 50 tokens are far from done when the node dies.
  const std::unique_ptr<NodeDaemon> direct = sim_node(100000);
  const std::unique_ptr<NodeDaemon> relayed = sim_node(100000);
  ASSERT_TRUE(proxy.wait_ready()) << proxy.process().output();
  ASSERT_TRUE(direct->wait_ready()) << direct->process().output();
  ASSERT_TRUE(relayed->wait_ready()) << relayed->process().output();
  add_node(proxy, *relayed, 1.0);

  Poco::Net::StreamSocket to_node;
  std::string from_node = start_stream(to_node, direct->port());
  ASSERT_THAT(from_node, ::testing::StartsWith("HTTP/1.1 200"));
  direct->process().send_signal(SIGKILL);
  EXPECT_FALSE(read_to_the_end(to_node, from_node)) << from_node;

  Poco::Net::StreamSocket to_proxy;
  std::string from_proxy = start_stream(to_proxy, proxy.port());
  ASSERT_THAT(from_proxy, ::testing::StartsWith("HTTP/1.1 200"));
  relayed->process().send_signal(SIGKILL);
  const bool complete = read_to_the_end(to_proxy, from_proxy);
  EXPECT_TRUE(!complete || from_proxy.find("\"error\"") != std::string::npos)
      << "the proxy ended a stream its node never finished as a complete answer:\n"
      << from_proxy;
}

/// The error object of an answer, or the whole body when it has none.
json error_of(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  return parsed.is_object() && parsed.contains("error") ? parsed["error"] : json(body);
}

class ProxyBadRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(proxy_.wait_ready()) << proxy_.process().output();
    ASSERT_TRUE(node_->wait_ready()) << node_->process().output();
    add_node(proxy_, *node_, 1.0);
  }

  const std::unique_ptr<NodeDaemon> node_ = sim_node(0);
  ProxyDaemon proxy_ = hybrid_proxy("random");
};

// A bad request relayed to the node comes back unchanged, and one the proxy refuses itself
// (unreadable body, no model, too large) gets the node's error object.
TEST_F(ProxyBadRequestTest, ErrorsThroughTheProxyAreTheNodesOwn) {
  struct Bad {
    std::string name;
    std::string path;
    std::string body;
  };
  const std::string completions = "/v1/completions";
  const std::string chat = "/v1/chat/completions";
  const std::vector<Bad> cases = {
      {"empty body", completions, ""},
      {"malformed JSON", completions, "{\"model\": "},
      {"not an object", completions, "[1, 2]"},
      {"invalid UTF-8", completions, "{\"model\": \"stories260K\", \"prompt\": \"\xff\xfe\"}"},
      {"no model", completions, R"({"prompt": "hi"})"},
      {"model not a string", completions, R"({"model": 5, "prompt": "hi"})"},
      {"null model", completions, R"({"model": null, "prompt": "hi"})"},
      {"wrong type", completions,
       R"({"model": "stories260K", "prompt": "hi", "max_tokens": "ten"})"},
      {"negative max_tokens", completions,
       R"({"model": "stories260K", "prompt": "hi", "max_tokens": -1})"},
      {"absurd max_tokens", completions,
       R"({"model": "stories260K", "prompt": "hi", "max_tokens": 100000000})"},
      {"temperature out of range", completions,
       R"({"model": "stories260K", "prompt": "hi", "temperature": 7})"},
      {"temperature not a number", completions,
       R"({"model": "stories260K", "prompt": "hi", "temperature": "hot"})"},
      {"top_p zero", completions, R"({"model": "stories260K", "prompt": "hi", "top_p": 0})"},
      {"stream not a boolean", completions,
       R"({"model": "stories260K", "prompt": "hi", "stream": "yes"})"},
      {"unknown field", completions,
       R"({"model": "stories260K", "prompt": "hi", "tempreature": 1})"},
      {"missing prompt", completions, R"({"model": "stories260K"})"},
      {"prompt of the wrong shape", completions, R"({"model": "stories260K", "prompt": {"a": 1}})"},
      {"prompt longer than the context", completions,
       json({{"model", kModel}, {"prompt", std::vector<int>(600, 300)}}).dump()},
      {"token id outside the vocabulary", completions,
       R"({"model": "stories260K", "prompt": [1, 99999]})"},
      {"no messages", chat, R"({"model": "stories260K", "messages": []})"},
      {"message without a role", chat,
       R"({"model": "stories260K", "messages": [{"content": "x"}]})"},
      {"chat without a model", chat, R"({"messages": [{"role": "user", "content": "x"}]})"},
  };
  for (const Bad& bad : cases) {
    const HttpReply direct = http_call(node_->port(), "POST", bad.path, bad.body);
    const HttpReply proxied = http_call(proxy_.port(), "POST", bad.path, bad.body);
    EXPECT_GE(direct.status, 400) << bad.name << ": " << direct.body;
    EXPECT_LT(direct.status, 500) << bad.name << ": " << direct.body;
    EXPECT_EQ(proxied.status, direct.status) << bad.name << ": " << proxied.body;
    EXPECT_EQ(error_of(proxied.body), error_of(direct.body)) << bad.name;
    EXPECT_EQ(proxied.content_type, direct.content_type) << bad.name;
  }

  const HttpReply direct_get = http_get(node_->port(), "/v1/completions");
  const HttpReply proxied_get = http_get(proxy_.port(), "/v1/completions");
  EXPECT_EQ(proxied_get.status, direct_get.status);
  EXPECT_EQ(error_of(proxied_get.body), error_of(direct_get.body));

  // Over the 8 MiB body limit: refused from the Content-Length, before the body is read.
  const HttpReply direct_large = post_headers_only(node_->port(), completions, 9437184);
  const HttpReply proxied_large = post_headers_only(proxy_.port(), completions, 9437184);
  EXPECT_EQ(direct_large.status, 413) << direct_large.body;
  EXPECT_EQ(proxied_large.status, direct_large.status) << proxied_large.body;
  EXPECT_EQ(error_of(proxied_large.body), error_of(direct_large.body));

  // By design a model no healthy node serves is the proxy's own 503 (the node says 404).
  const std::string unknown = R"({"model": "gpt-9", "prompt": "hi"})";
  EXPECT_EQ(http_call(node_->port(), "POST", completions, unknown).status, 404);
  const HttpReply no_node = http_call(proxy_.port(), "POST", completions, unknown);
  EXPECT_EQ(no_node.status, 503);
  EXPECT_EQ(error_of(no_node.body).value("code", ""), "no_node_available") << no_node.body;
  EXPECT_EQ(error_of(no_node.body).value("param", ""), "model") << no_node.body;

  // Both still serve.
  EXPECT_EQ(http_call(proxy_.port(), "POST", completions, completion(2).dump()).status, 200);
}

// The node refuses an empty model with 400 ("'model' is required and must be a non-empty
// string"); the proxy checks the model itself with that very message, but lets "" through to
// routing, which finds no node for it and answers 503 no_node_available.
TEST_F(ProxyBadRequestTest, AnEmptyModelIsRefusedAsTheNodeRefusesIt) {
  const std::string body = R"({"model": "", "prompt": "hi"})";
  const HttpReply direct = http_call(node_->port(), "POST", "/v1/completions", body);
  const HttpReply proxied = http_call(proxy_.port(), "POST", "/v1/completions", body);
  EXPECT_EQ(direct.status, 400) << direct.body;
  EXPECT_EQ(proxied.status, direct.status) << proxied.body;
  EXPECT_EQ(error_of(proxied.body), error_of(direct.body));
}

}  // namespace
}  // namespace disaggd::testing
