// HealthPoller: a thread that checks every registered node's GET /health at a fixed interval
// and reports each outcome to the NodeRegistry.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "proxy/node_registry.h"

namespace disaggd::proxy {

/// Starts on construction, stops (and joins) on destruction. The registry must outlive it.
/// Checks run one node after another; each waits at most `timeout`.
class HealthPoller {
 public:
  HealthPoller(NodeRegistry& registry, std::chrono::milliseconds interval,
               std::chrono::milliseconds timeout);
  ~HealthPoller();
  HealthPoller(const HealthPoller&) = delete;
  HealthPoller& operator=(const HealthPoller&) = delete;

 private:
  void run();

  NodeRegistry& registry_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// One check: GET <url>/health answered 200 within `timeout`.
bool node_is_healthy(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace disaggd::proxy
