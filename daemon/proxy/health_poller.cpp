// The health-check loop.
#include "proxy/health_poller.h"

#include <spdlog/spdlog.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

namespace disaggd::proxy {

bool node_is_healthy(const std::string& url, std::chrono::milliseconds timeout) {
  try {
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count() / 1000),
                                      static_cast<long>((timeout.count() % 1000) * 1000)));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/health",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response).ignore(1 << 20);
    return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK;
  } catch (const std::exception&) {  // refused, reset, timed out, bad URL
    return false;
  }
}

HealthPoller::HealthPoller(NodeRegistry& registry, std::chrono::milliseconds interval,
                           std::chrono::milliseconds timeout)
    : registry_(registry), interval_(interval), timeout_(timeout), thread_([this] { run(); }) {}

HealthPoller::~HealthPoller() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HealthPoller::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    for (const std::string& url : registry_.urls()) {
      const bool ok = node_is_healthy(url, timeout_);
      if (!ok) {
        spdlog::debug("health check of {} failed", url);
      }
      registry_.health_checked(url, ok);
    }
    lock.lock();
  }
}

}  // namespace disaggd::proxy
