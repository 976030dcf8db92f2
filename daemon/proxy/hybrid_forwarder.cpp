// Choosing a node, sending the request, relaying the answer, retrying a node that failed early.
#include "proxy/hybrid_forwarder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "http/json_response.h"
#include "http/openai/request_body.h"
#include "proxy/upstream_relay.h"

namespace disaggd::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::HTTPResponse;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

http::UpstreamPoolOptions pool_options(const ForwardOptions& options) {
  http::UpstreamPoolOptions pool;
  pool.connect_timeout = options.connect_timeout;
  pool.max_per_upstream = options.max_connections_per_node;
  return pool;
}

}  // namespace

HybridForwarder::HybridForwarder(NodeRegistry& registry, const RoutingSlot& routing,
                                 ForwardOptions options, core::MetricsRegistry& metrics)
    : registry_(registry),
      routing_(routing),
      options_(options),
      metrics_(metrics),
      retries_(metrics.counter("disaggd_proxy_retries_total",
                               "Requests sent to another node after one failed before answering.")),
      pool_(pool_options(options)) {
  metrics.callback_gauge("disaggd_proxy_upstream_connections_opened",
                         "TCP connections the proxy opened to nodes since it started.",
                         [this] { return static_cast<double>(pool_.opened()); });
  metrics.callback_gauge("disaggd_proxy_upstream_connections_idle",
                         "Keep-alive connections to nodes waiting for a request.",
                         [this] { return static_cast<double>(pool_.idle()); });
}

bool HybridForwarder::forward(const http::RequestContext& context,
                              Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response) const {
  const auto arrived = Clock::now();
  auto body = http::read_json_body(request, options_.max_body_bytes);
  if (auto* error = std::get_if<http::ApiError>(&body)) {
    http::send_error(response, error->status, error->message, error->type, error->param,
                     error->code);
    return true;
  }
  const nlohmann::json& json = std::get<nlohmann::json>(body);
  const auto model = json.find("model");
  if (model == json.end() || !model->is_string() || model->get_ref<const std::string&>().empty()) {
    http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                     "'model' is required and must be a non-empty string", "invalid_request_error",
                     "model");
    return true;
  }
  core::RoutingRequestInfo info;
  info.request_id = context.request_id;
  info.model = model->get<std::string>();
  info.role = core::NodeRole::kHybrid;
  UpstreamRequest upstream;
  upstream.method = request.getMethod();
  upstream.uri = request.getURI();
  upstream.body = json.dump();
  upstream.request_id = context.request_id;
  upstream.authorization = request.get("Authorization", "");
  upstream.deadline = arrived + options_.request_timeout;
  const std::shared_ptr<const ActiveRouting> routing = routing_.current();
  std::vector<std::string> tried;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    std::vector<core::RoutingNodeStats> nodes = registry_.candidates(info.role, info.model);
    std::erase_if(nodes, [&tried](const core::RoutingNodeStats& n) {
      return std::find(tried.begin(), tried.end(), n.id) != tried.end();
    });
    if (nodes.empty()) {
      break;
    }
    auto chosen = routing->strategy->select(info, nodes);
    if (!chosen.ok()) {
      spdlog::error("[{}] routing failed: {}", context.request_id, chosen.status().message());
      break;
    }
    const std::string node = nodes[*chosen].id;
    tried.push_back(node);
    registry_.request_started(node);
    const auto start = Clock::now();
    int node_status = 0;
    const RelayOutcome outcome = relay_from_node(pool_, node, upstream, response, node_status);
    const double latency = ms_since(start);
    metrics_
        .histogram("disaggd_proxy_upstream_seconds",
                   "Time from sending a request to a node to the end of its answer.",
                   core::latency_buckets_seconds(), {{"node", node}})
        .observe(latency / 1000.0);
    const bool node_ok = node_succeeded(outcome);
    registry_.request_finished(node, latency, node_ok);
    routing->strategy->on_request_done(node, context.request_id, latency, node_ok);
    if (outcome == RelayOutcome::kDeadlineEarly) {
      http::send_error(response, HTTPResponse::HTTP_GATEWAY_TIMEOUT,
                       "no answer from node " + node + " within the request deadline of " +
                           std::to_string(options_.request_timeout.count()) + " ms",
                       "timeout", "", "deadline_exceeded");
      return true;
    }
    if (cut_short(outcome)) {
      http::abort_connection(request);
      return false;
    }
    if (outcome != RelayOutcome::kNodeFailedEarly) {
      return true;  // relayed, or the client left: no retry is possible
    }
    retries_.add();
    std::this_thread::sleep_for(options_.backoff * (attempt + 1));
  }
  http::send_error(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                   tried.empty() ? "no healthy node serves model '" + info.model + "'"
                                 : "every node tried for model '" + info.model + "' failed",
                   "service_unavailable", "model", "no_node_available");
  return true;
}

}  // namespace disaggd::proxy
