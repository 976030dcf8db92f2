// HybridForwarder: the Hybrid serving strategy — a client request goes whole to one hybrid node
// chosen by the routing plugin, and the node's answer (JSON or an SSE stream) is relayed back as
// it arrives.
#pragma once

#include <chrono>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "core/metrics/metrics.h"
#include "http/http_server.h"
#include "http/upstream_pool.h"
#include "proxy/node_registry.h"
#include "proxy/routing_slot.h"

namespace disaggd::proxy {

struct ForwardOptions {
  std::size_t max_body_bytes = 8 << 20;
  /// Nodes tried for one request when a node fails before sending any byte.
  int max_attempts = 3;
  /// Waits between attempts: backoff, 2 × backoff, ...
  std::chrono::milliseconds backoff{20};
  /// Deadline of one request, from its arrival to the last byte of its answer.
  std::chrono::milliseconds request_timeout{600000};
  /// Longest wait for a TCP connection to a node.
  std::chrono::milliseconds connect_timeout{3000};
  /// Connections to one node, in use and idle together.
  std::size_t max_connections_per_node = 256;
};

/// Thread-safe: one instance serves every request thread. `registry`, `routing` and `metrics`
/// must outlive it. Each request routes with the strategy active when it arrived, retries
/// included.
class HybridForwarder {
 public:
  HybridForwarder(NodeRegistry& registry, const RoutingSlot& routing, ForwardOptions options,
                  core::MetricsRegistry& metrics);

  /// Handles one POST /v1/completions or /v1/chat/completions. False when the answer was cut
  /// short (the node failed or the deadline passed mid-answer) and the connection aborted.
  bool forward(const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
               Poco::Net::HTTPServerResponse& response) const;

 private:
  NodeRegistry& registry_;
  const RoutingSlot& routing_;
  ForwardOptions options_;
  core::MetricsRegistry& metrics_;
  core::Counter& retries_;
  mutable http::UpstreamPool pool_;
};

}  // namespace disaggd::proxy
