// Keep-alive connections to upstream HTTP servers.
#include "http/upstream_pool.h"

#include <utility>

#include <Poco/URI.h>

namespace disaggd::http {
namespace {

/// A client session with Nagle's algorithm off: Poco writes a request's headers and body as two
/// sends, and with Nagle on the second waits for the node's (delayed) ACK of the first.
class NoDelaySession : public Poco::Net::HTTPClientSession {
 public:
  using Poco::Net::HTTPClientSession::HTTPClientSession;

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    Poco::Net::HTTPClientSession::connect(address);
    socket().setNoDelay(true);
  }
};

Poco::Timespan timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<long>(ms.count() / 1000),
                        static_cast<long>((ms.count() % 1000) * 1000));
}

}  // namespace

UpstreamLease::UpstreamLease(UpstreamLease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      upstream_(std::move(other.upstream_)),
      session_(std::move(other.session_)),
      reused_(other.reused_) {}

UpstreamLease& UpstreamLease::operator=(UpstreamLease&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = std::exchange(other.pool_, nullptr);
    upstream_ = std::move(other.upstream_);
    session_ = std::move(other.session_);
    reused_ = other.reused_;
  }
  return *this;
}

UpstreamLease::~UpstreamLease() {
  reset();
}

void UpstreamLease::reset() {
  session_.reset();  // closes the connection
  if (pool_ != nullptr) {
    std::exchange(pool_, nullptr)->forget(upstream_);
  }
}

UpstreamPool::UpstreamPool(UpstreamPoolOptions options) : options_(options) {}

std::optional<UpstreamLease> UpstreamPool::acquire(const std::string& base_url,
                                                   std::chrono::steady_clock::time_point deadline) {
  UpstreamLease lease;
  std::vector<Idle> expired;  // closed outside the lock
  {
    std::unique_lock<std::mutex> lock(mutex_);
    Upstream& upstream = upstreams_[base_url];
    while (true) {
      const auto now = std::chrono::steady_clock::now();
      while (!upstream.idle.empty()) {
        Idle candidate = std::move(upstream.idle.back());
        upstream.idle.pop_back();
        if (now - candidate.since < options_.idle_timeout) {
          lease.pool_ = this;
          lease.upstream_ = base_url;
          lease.session_ = std::move(candidate.session);
          lease.reused_ = true;
          return lease;
        }
        --upstream.total;
        expired.push_back(std::move(candidate));
      }
      if (upstream.total < options_.max_per_upstream) {
        break;
      }
      if (freed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return std::nullopt;
      }
    }
    ++upstream.total;
    ++opened_;
  }
  const Poco::URI uri(base_url);
  std::unique_ptr<Poco::Net::HTTPClientSession> session =
      std::make_unique<NoDelaySession>(uri.getHost(), uri.getPort());
  session->setKeepAlive(true);
  session->setKeepAliveTimeout(timespan(options_.idle_timeout));
  session->setTimeout(timespan(options_.connect_timeout));
  lease.pool_ = this;
  lease.upstream_ = base_url;
  lease.session_ = std::move(session);
  return lease;
}

void UpstreamPool::release(UpstreamLease lease) {
  if (lease.pool_ != this || !lease.session_ || !lease.session_->connected()) {
    return;  // the lease's destructor accounts for it
  }
  lease.pool_ = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    upstreams_[lease.upstream_].idle.push_back(
        Idle{std::move(lease.session_), std::chrono::steady_clock::now()});
  }
  freed_.notify_one();
}

void UpstreamPool::forget(const std::string& base_url) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --upstreams_[base_url].total;
  }
  freed_.notify_one();
}

void UpstreamPool::drop_idle(const std::string& base_url) {
  std::vector<Idle> dropped;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Upstream& upstream = upstreams_[base_url];
    upstream.total -= upstream.idle.size();
    dropped = std::move(upstream.idle);
    upstream.idle.clear();
  }
  freed_.notify_all();
}

std::size_t UpstreamPool::opened() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return opened_;
}

std::size_t UpstreamPool::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t count = 0;
  for (const auto& [url, upstream] : upstreams_) {
    count += upstream.idle.size();
  }
  return count;
}

}  // namespace disaggd::http
