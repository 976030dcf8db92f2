// HybridForwarder: the Hybrid serving strategy — a client request goes whole to one hybrid node
// chosen by the routing plugin, and the node's answer (JSON or an SSE stream) is relayed back as
// it arrives.
#pragma once

#include <chrono>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "core/metrics/metrics.h"
#include "core/plugins/routing_strategy.h"
#include "http/http_server.h"
#include "proxy/node_registry.h"

namespace disaggd::proxy {

struct ForwardOptions {
  std::size_t max_body_bytes = 8 << 20;
  /// Nodes tried for one request when a node fails before sending any byte.
  int max_attempts = 3;
  /// Waits between attempts: backoff, 2 × backoff, ...
  std::chrono::milliseconds backoff{20};
  /// Longest silence from a node (connect, first byte, between chunks).
  std::chrono::milliseconds node_timeout{600000};
};

/// Thread-safe: one instance serves every request thread. `registry`, `routing` and `metrics`
/// must outlive it.
class HybridForwarder {
 public:
  HybridForwarder(NodeRegistry& registry, core::RoutingStrategy& routing, ForwardOptions options,
                  core::MetricsRegistry& metrics);

  /// Handles one POST /v1/completions or /v1/chat/completions.
  void forward(const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
               Poco::Net::HTTPServerResponse& response) const;

 private:
  NodeRegistry& registry_;
  core::RoutingStrategy& routing_;
  ForwardOptions options_;
  core::MetricsRegistry& metrics_;
  core::Counter& retries_;
};

}  // namespace disaggd::proxy
