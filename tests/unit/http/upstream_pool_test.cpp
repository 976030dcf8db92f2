// UpstreamPool against a real HttpServer on loopback: connections are reused while they are
// fresh, dropped when asked, never shared between two users at once, and capped per upstream.
#include "http/upstream_pool.h"

#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "http/bearer_auth.h"
#include "http/http_server.h"
#include "http/json_response.h"

namespace disaggd::http {
namespace {

/// A loopback server answering GET /ping with a small JSON body.
class PingServer {
 public:
  PingServer() : server_(options()) {
    server_.add_route("GET", "/ping",
                      [](const RequestContext&, Poco::Net::HTTPServerRequest&,
                         Poco::Net::HTTPServerResponse& response) {
                        send_json(response, Poco::Net::HTTPResponse::HTTP_OK, {{"pong", true}});
                      });
    EXPECT_TRUE(server_.start().ok());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  static HttpServerOptions options() {
    HttpServerOptions o;
    o.name = "ping";
    return o;
  }
  HttpServer server_;
};

/// One GET /ping over `lease`, its answer read to the end.
std::string ping(UpstreamLease& lease) {
  Poco::Net::HTTPRequest request("GET", "/ping", Poco::Net::HTTPMessage::HTTP_1_1);
  lease.session().sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::ostringstream body;
  Poco::StreamCopier::copyStream(lease.session().receiveResponse(response), body);
  return body.str();
}

std::chrono::steady_clock::time_point soon() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(5);
}

TEST(UpstreamPoolTest, ReusesAConnectionReturnedAfterACompleteAnswer) {
  PingServer server;
  UpstreamPool pool;
  for (int i = 0; i < 5; ++i) {
    std::optional<UpstreamLease> lease = pool.acquire(server.url(), soon());
    ASSERT_TRUE(lease);
    EXPECT_EQ(lease->reused(), i > 0);
    EXPECT_EQ(ping(*lease), R"({"pong":true})");
    pool.release(std::move(*lease));
  }
  EXPECT_EQ(pool.opened(), 1u);
  EXPECT_EQ(pool.idle(), 1u);
}

TEST(UpstreamPoolTest, ConcurrentUsersGetTheirOwnConnections) {
  PingServer server;
  UpstreamPool pool;
  std::optional<UpstreamLease> first = pool.acquire(server.url(), soon());
  std::optional<UpstreamLease> second = pool.acquire(server.url(), soon());
  ASSERT_TRUE(first && second);
  EXPECT_NE(&first->session(), &second->session());
  ping(*first);
  ping(*second);
  pool.release(std::move(*first));
  pool.release(std::move(*second));
  EXPECT_EQ(pool.opened(), 2u);
  EXPECT_EQ(pool.idle(), 2u);
}

TEST(UpstreamPoolTest, TheCapMakesAcquireWaitForAConnectionToEnd) {
  PingServer server;
  UpstreamPoolOptions options;
  options.max_per_upstream = 1;
  UpstreamPool pool(options);
  std::optional<UpstreamLease> held = pool.acquire(server.url(), soon());
  ASSERT_TRUE(held);
  // Nothing frees up: the wait ends at the deadline.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(pool.acquire(server.url(), start + std::chrono::milliseconds(100)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  // Another upstream is not affected.
  EXPECT_TRUE(pool.acquire("http://127.0.0.1:9", soon()));

  // A lease destroyed (not released) frees its place too.
  std::thread ender([&held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.reset();
  });
  std::optional<UpstreamLease> next = pool.acquire(server.url(), soon());
  ender.join();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->reused());
  ping(*next);
  pool.release(std::move(*next));
  std::optional<UpstreamLease> again = pool.acquire(server.url(), soon());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->reused());
  EXPECT_EQ(pool.opened(), 3u);  // two to the server, one to port 9
}

TEST(UpstreamPoolTest, DroppedAndExpiredConnectionsAreNotReused) {
  PingServer server;
  UpstreamPoolOptions options;
  options.idle_timeout = std::chrono::milliseconds(0);
  options.max_per_upstream = 1;
  UpstreamPool expiring(options);
  std::optional<UpstreamLease> lease = expiring.acquire(server.url(), soon());
  ping(*lease);
  expiring.release(std::move(*lease));
  lease = expiring.acquire(server.url(), soon());  // the expired one does not count to the cap
  ASSERT_TRUE(lease);
  EXPECT_FALSE(lease->reused());
  EXPECT_EQ(expiring.opened(), 2u);

  UpstreamPool pool;
  lease = pool.acquire(server.url(), soon());
  ping(*lease);
  pool.release(std::move(*lease));
  pool.drop_idle(server.url());
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_FALSE(pool.acquire(server.url(), soon())->reused());
}

TEST(UpstreamPoolTest, AnUnconnectedSessionIsNotKept) {
  UpstreamPool pool;
  std::optional<UpstreamLease> never_used = pool.acquire("http://127.0.0.1:9", soon());
  pool.release(std::move(*never_used));
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(SplitKeysTest, TrimsAndDropsEmptyEntries) {
  EXPECT_EQ(split_keys(""), std::vector<std::string>{});
  EXPECT_EQ(split_keys(" a , b,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_keys("only"), std::vector<std::string>{"only"});
  EXPECT_EQ(split_keys(" , "), std::vector<std::string>{});
}

}  // namespace
}  // namespace disaggd::http
