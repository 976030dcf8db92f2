// ProxyServer: the proxy role's listeners. Today: the client listener's health endpoint, node
// membership (/nodes/add, /nodes/remove, /nodes/status) and the authenticated admin listener
// showing the routing strategy; health polling and request forwarding build on it.
#pragma once

#include <memory>

#include "core/config/config.h"
#include "core/metrics/metrics.h"
#include "core/plugins/routing_strategy.h"
#include "core/status.h"
#include "http/http_server.h"
#include "proxy/health_poller.h"
#include "proxy/hybrid_forwarder.h"
#include "proxy/node_registry.h"

namespace disaggd::proxy {

class ProxyServer {
 public:
  /// `routing` is the strategy created from the config (never null).
  ProxyServer(const core::Config& config, std::unique_ptr<core::RoutingStrategy> routing);
  ~ProxyServer();

  /// Opens the client listener and, when a token is configured, the admin listener. Fails (and
  /// opens nothing) if either cannot bind.
  core::Status start();
  /// Closes both listeners.
  void stop();

  int port() const { return client_.port(); }
  /// 0 when the admin listener is closed.
  int admin_port() const { return admin_ ? admin_->port() : 0; }

 private:
  void add_client_routes();
  void add_admin_routes();
  /// POST /nodes/add, POST /nodes/remove, GET /nodes/status.
  void add_membership_routes();
  /// POST /v1/completions and /v1/chat/completions (Hybrid: forwarded), GET /v1/models.
  void add_serving_routes();

  core::Config config_;
  std::unique_ptr<core::RoutingStrategy> routing_;
  core::MetricsRegistry metrics_;
  NodeRegistry nodes_;
  HybridForwarder forwarder_;
  std::unique_ptr<HealthPoller> health_;  ///< Runs while the proxy is started.
  http::HttpServer client_;
  std::unique_ptr<http::HttpServer> admin_;
};

}  // namespace disaggd::proxy
