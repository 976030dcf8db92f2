// ProxyServer: the proxy role's listeners: the client listener (serving routes, node membership,
// /health, /metrics) and the authenticated admin listener (routing hot swap, plugin rescan).
#pragma once

#include <memory>

#include "core/config/config.h"
#include "core/metrics/metrics.h"
#include "core/plugins/plugin_host.h"
#include "core/plugins/routing_strategy.h"
#include "core/status.h"
#include "http/http_server.h"
#include "proxy/health_poller.h"
#include "proxy/node_registry.h"
#include "proxy/request_forwarder.h"
#include "proxy/routing_admin.h"
#include "proxy/routing_slot.h"

namespace disaggd::proxy {

class ProxyServer {
 public:
  /// `routing` is the strategy created from the config (never null); `plugins` (which must
  /// outlive the server) loads the strategies the admin endpoint swaps in.
  ProxyServer(const core::Config& config, core::PluginHost& plugins,
              std::unique_ptr<core::RoutingStrategy> routing);
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
  /// GET/PUT /admin/routing, POST /admin/plugins/rescan; every one requires the admin token.
  void add_admin_routes();
  /// Tells the active routing strategy that the node table changed.
  void nodes_changed();
  /// POST /nodes/add, POST /nodes/remove, GET /nodes/status.
  void add_membership_routes();
  /// POST /v1/completions and /v1/chat/completions (Hybrid or DistServe), GET /v1/models.
  void add_serving_routes();

  core::Config config_;
  core::MetricsRegistry metrics_;
  NodeRegistry nodes_;
  RoutingSlot routing_;
  RoutingAdmin routing_admin_;
  RequestForwarder forwarder_;
  std::unique_ptr<HealthPoller> health_;  ///< Runs while the proxy is started.
  http::HttpServer client_;
  std::unique_ptr<http::HttpServer> admin_;
  std::vector<std::string> api_keys_;  ///< Client keys; empty: none required.
};

}  // namespace disaggd::proxy
