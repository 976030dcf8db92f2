// RequestForwarder: a client's completion request through the proxy. Hybrid: the whole request
// goes to one hybrid node. DistServe: the prompt runs on a prefill node, which keeps its KV under
// a cache handle; a decode node with the same KV layout pulls it and generates. Either way the
// answer (JSON or an SSE stream) is relayed back as it arrives.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/metrics/metrics.h"
#include "http/http_server.h"
#include "http/upstream_pool.h"
#include "proxy/node_registry.h"
#include "proxy/routing_slot.h"
#include "proxy/upstream_relay.h"

namespace disaggd::proxy {

struct ForwardOptions {
  core::ServingStrategy strategy = core::ServingStrategy::kHybrid;
  std::size_t max_body_bytes = 8 << 20;
  /// Nodes tried for one step of a request when a node fails before sending any byte.
  int max_attempts = 3;
  /// Waits between attempts: backoff, 2 × backoff, ...
  std::chrono::milliseconds backoff{20};
  /// Deadline of one request, from its arrival to the last byte of its answer.
  std::chrono::milliseconds request_timeout{600000};
  /// Longest wait for a TCP connection to a node.
  std::chrono::milliseconds connect_timeout{3000};
  /// Connections to one node, in use and idle together.
  std::size_t max_connections_per_node = 256;
  /// server.cluster_token, sent to nodes on every request; empty: none.
  std::string cluster_token;
  /// After start, while no node is registered, requests wait this long for one (not 503).
  std::chrono::milliseconds startup_grace{15000};
};

/// Thread-safe: one instance serves every request thread. `registry`, `routing` and `metrics`
/// must outlive it. Each request routes with the strategy active when it arrived, retries
/// included.
class RequestForwarder {
 public:
  RequestForwarder(NodeRegistry& registry, const RoutingSlot& routing, ForwardOptions options,
                   core::MetricsRegistry& metrics);

  /// Handles one POST /v1/completions or /v1/chat/completions. False when the answer was cut
  /// short (a node failed or the deadline passed mid-answer) and the connection aborted.
  bool forward(const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
               Poco::Net::HTTPServerResponse& response) const;

 private:
  /// One attempt on one node; its outcome decides whether another node is tried.
  using Attempt = std::function<RelayOutcome(const std::string& node)>;

  /// Within options_.startup_grace of the proxy's start, while no node at all is registered,
  /// waits until one registers or the grace ends (a restarted proxy, nodes not back yet).
  void wait_for_first_node(const core::RoutingRequestInfo& info) const;
  /// Picks nodes of `info.role` (with `kv_layout` when not null) with the routing strategy and
  /// runs `attempt` on them until one does not fail early, up to max_attempts nodes. Answers the
  /// client itself when no node is left (503) or the deadline passed (504).
  RelayOutcome try_nodes(const ActiveRouting& routing, const core::RoutingRequestInfo& info,
                         const nlohmann::json& kv_layout, const Attempt& attempt,
                         Poco::Net::HTTPServerResponse& response) const;
  /// DistServe's first step: the prompt on a prefill node. The cache handle and the prefill
  /// node, or nothing when the client was already answered (the prefill's own 4xx, 503, 504).
  std::optional<std::pair<nlohmann::json, std::string>> prefill(
      const ActiveRouting& routing, core::RoutingRequestInfo info, const nlohmann::json& body,
      const UpstreamRequest& upstream, Poco::Net::HTTPServerResponse& response) const;

  NodeRegistry& registry_;
  const RoutingSlot& routing_;
  ForwardOptions options_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  core::MetricsRegistry& metrics_;
  core::Counter& retries_;
  mutable http::UpstreamPool pool_;
};

}  // namespace disaggd::proxy
