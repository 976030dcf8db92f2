// ProxyRegistration: a node's membership in its proxy's node table (node.proxy_url).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http/http_client.h"

namespace disaggd::engine {

/// Registers `registration` (a POST /nodes/add body) with the proxy at `proxy_url` once started,
/// retrying every second until it succeeds (the proxy may start later), then again every
/// `refresh` (same epoch: harmless; it brings the node back into a restarted proxy's table). On
/// destruction it asks the proxy to remove the node. Registration failures are logged, never
/// fatal: a node serves its own clients without a proxy.
class ProxyRegistration {
 public:
  /// `headers` go with every call to the proxy (the cluster token).
  ProxyRegistration(std::string proxy_url, nlohmann::json registration, http::HeaderList headers,
                    std::chrono::milliseconds refresh = std::chrono::seconds(10));
  ~ProxyRegistration();
  ProxyRegistration(const ProxyRegistration&) = delete;
  ProxyRegistration& operator=(const ProxyRegistration&) = delete;

 private:
  void run();

  std::string proxy_url_;
  nlohmann::json registration_;
  http::HeaderList headers_;
  std::chrono::milliseconds refresh_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace disaggd::engine
