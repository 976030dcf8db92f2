// UpstreamPool: keep-alive HTTP connections to other disaggd processes (the proxy's nodes), so a
// forwarded request does not pay for a new TCP connection, with a cap per node so that idle
// connections never hold every connection thread of a node.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>

namespace disaggd::http {

struct UpstreamPoolOptions {
  /// Connections (in use plus idle) per upstream. Nodes serve one connection per thread, so
  /// this must stay below their server.max_threads.
  std::size_t max_per_upstream = 256;
  /// An idle connection older than this is not reused. Below the nodes' own keep-alive timeout,
  /// so the proxy, not the node, closes idle connections.
  std::chrono::milliseconds idle_timeout{20000};
  std::chrono::milliseconds connect_timeout{3000};
};

class UpstreamPool;

/// A connection taken from the pool, used by one request at a time. Destroying it closes the
/// connection (that is how a request is cancelled upstream); UpstreamPool::release() keeps it.
class UpstreamLease {
 public:
  UpstreamLease() = default;
  UpstreamLease(UpstreamLease&& other) noexcept;
  UpstreamLease& operator=(UpstreamLease&& other) noexcept;
  ~UpstreamLease();

  Poco::Net::HTTPClientSession& session() { return *session_; }
  /// It already carried a request: a failure may only mean the node closed it while idle.
  bool reused() const { return reused_; }

 private:
  friend class UpstreamPool;
  void reset();

  UpstreamPool* pool_ = nullptr;
  std::string upstream_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  bool reused_ = false;
};

/// Thread-safe. Connections are keyed by base URL ("http://host:port").
class UpstreamPool {
 public:
  explicit UpstreamPool(UpstreamPoolOptions options = {});

  /// An idle connection to `base_url`, or a new (not yet connected) session; waits while
  /// max_per_upstream connections exist and none is idle. nullopt when `deadline` passes first.
  std::optional<UpstreamLease> acquire(const std::string& base_url,
                                       std::chrono::steady_clock::time_point deadline);
  /// Returns a connection whose last response was read to the end, for the next request.
  /// Anything else (an error, a response left unread, a client that went away) must instead be
  /// destroyed, which closes it.
  void release(UpstreamLease lease);
  /// Closes every idle connection to `base_url` (after a failure that suggests they are stale).
  void drop_idle(const std::string& base_url);

  std::chrono::milliseconds connect_timeout() const { return options_.connect_timeout; }
  /// Connections opened so far (for tests and metrics).
  std::size_t opened() const;
  std::size_t idle() const;

 private:
  friend class UpstreamLease;
  struct Idle {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    std::chrono::steady_clock::time_point since;
  };
  struct Upstream {
    std::vector<Idle> idle;
    std::size_t total = 0;  ///< In use plus idle.
  };

  /// A lease ended without release(): its connection is gone.
  void forget(const std::string& base_url);

  UpstreamPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::map<std::string, Upstream> upstreams_;
  std::size_t opened_ = 0;
};

}  // namespace disaggd::http
