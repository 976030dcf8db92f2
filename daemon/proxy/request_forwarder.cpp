// Hybrid and DistServe serving: choosing nodes, sending, relaying, retrying early failures.
#include "proxy/request_forwarder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "http/json_response.h"
#include "http/openai/request_body.h"

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

/// The body a prefill node gets: the prompt only, one token, not streamed, KV kept.
nlohmann::json prefill_body(const nlohmann::json& body) {
  nlohmann::json prefill = body;
  prefill["max_tokens"] = 1;
  prefill.erase("max_completion_tokens");
  prefill["stream"] = false;
  prefill.erase("stream_options");
  prefill["disaggd_pd"] = {{"keep_cache", true}};
  return prefill;
}

}  // namespace

RequestForwarder::RequestForwarder(NodeRegistry& registry, const RoutingSlot& routing,
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

void RequestForwarder::wait_for_first_node(const core::RoutingRequestInfo& info) const {
  const auto grace_end = started_ + options_.startup_grace;
  if (Clock::now() >= grace_end || registry_.count(true) + registry_.count(false) > 0) {
    return;
  }
  spdlog::info(
      "[{}] no node registered yet; waiting up to {} ms of the start-up grace", info.request_id,
      std::chrono::duration_cast<std::chrono::milliseconds>(grace_end - Clock::now()).count());
  while (Clock::now() < grace_end && registry_.count(true) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RelayOutcome RequestForwarder::try_nodes(const ActiveRouting& routing,
                                         const core::RoutingRequestInfo& info,
                                         const nlohmann::json& kv_layout, const Attempt& attempt,
                                         Poco::Net::HTTPServerResponse& response) const {
  std::vector<std::string> tried;
  wait_for_first_node(info);
  for (int round = 0; round < options_.max_attempts; ++round) {
    std::vector<core::RoutingNodeStats> nodes =
        registry_.candidates(info.role, info.model, kv_layout);
    std::erase_if(nodes, [&tried](const core::RoutingNodeStats& n) {
      return std::find(tried.begin(), tried.end(), n.id) != tried.end();
    });
    if (nodes.empty()) {
      break;
    }
    auto chosen = routing.strategy->select(info, nodes);
    if (!chosen.ok()) {
      spdlog::error("[{}] routing failed: {}", info.request_id, chosen.status().message());
      break;
    }
    const std::string node = nodes[*chosen].id;
    tried.push_back(node);
    registry_.request_started(node);
    const auto start = Clock::now();
    const RelayOutcome outcome = attempt(node);
    const double latency = ms_since(start);
    metrics_
        .histogram("disaggd_proxy_upstream_seconds",
                   "Time from sending a request to a node to the end of its answer.",
                   core::latency_buckets_seconds(), {{"node", node}})
        .observe(latency / 1000.0);
    const bool node_ok = node_succeeded(outcome);
    registry_.request_finished(node, latency, node_ok);
    routing.strategy->on_request_done(node, info.request_id, latency, node_ok);
    if (outcome == RelayOutcome::kDeadlineEarly) {
      http::send_error(response, HTTPResponse::HTTP_GATEWAY_TIMEOUT,
                       "no answer from node " + node + " within the request deadline of " +
                           std::to_string(options_.request_timeout.count()) + " ms",
                       "timeout", "", "deadline_exceeded");
      return outcome;
    }
    if (outcome != RelayOutcome::kNodeFailedEarly) {
      return outcome;
    }
    retries_.add();
    std::this_thread::sleep_for(options_.backoff * (round + 1));
  }
  const std::string role = node_role_name(info.role);
  http::send_error(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                   tried.empty()
                       ? "no healthy " + role + " node serves model '" + info.model + "'"
                       : "every " + role + " node tried for model '" + info.model + "' failed",
                   "service_unavailable", "model", "no_node_available");
  return RelayOutcome::kNodeFailedEarly;
}

std::optional<std::pair<nlohmann::json, std::string>> RequestForwarder::prefill(
    const ActiveRouting& routing, core::RoutingRequestInfo info, const nlohmann::json& body,
    const UpstreamRequest& upstream, Poco::Net::HTTPServerResponse& response) const {
  info.role = core::NodeRole::kPrefill;
  UpstreamRequest to_prefill = upstream;
  to_prefill.body = prefill_body(body).dump();
  FetchedAnswer fetched;
  std::string prefill_node;
  const RelayOutcome outcome = try_nodes(
      routing, info, nullptr,
      [&](const std::string& node) {
        prefill_node = node;
        fetched = FetchedAnswer{};
        return fetch_from_node(pool_, node, to_prefill, fetched);
      },
      response);
  if (outcome != RelayOutcome::kRelayed) {
    return std::nullopt;  // try_nodes answered 503 or 504
  }
  if (fetched.status == HTTPResponse::HTTP_UNAUTHORIZED) {
    // Only the cluster token guards a prefill request: the proxy's does not match the node's.
    // The client did nothing wrong and must not see an authentication error of its own.
    spdlog::error(
        "[{}] prefill node {} refused this proxy's cluster token: set the same "
        "server.cluster_token on the proxy and every node",
        upstream.request_id, prefill_node);
    http::send_error(response, HTTPResponse::HTTP_BAD_GATEWAY,
                     "prefill node " + prefill_node +
                         " refused the proxy's cluster token (server.cluster_token differs)",
                     "server_error", "", "cluster_token_mismatch");
    return std::nullopt;
  }
  if (fetched.status != HTTPResponse::HTTP_OK) {
    // The prefill node refused the request itself (a 4xx): the client gets its answer.
    response.setStatus(static_cast<HTTPResponse::HTTPStatus>(fetched.status));
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(fetched.body.size()));
    response.sendBuffer(fetched.body.data(), fetched.body.size());
    return std::nullopt;
  }
  const nlohmann::json answer = nlohmann::json::parse(fetched.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("disaggd_pd") ||
      !answer["disaggd_pd"].contains("cache_handle") ||
      !answer["disaggd_pd"]["cache_handle"].is_object()) {
    http::send_error(response, HTTPResponse::HTTP_BAD_GATEWAY,
                     "prefill node " + prefill_node + " answered without a cache handle",
                     "server_error", "", "bad_prefill_answer");
    return std::nullopt;
  }
  return std::make_pair(answer["disaggd_pd"]["cache_handle"], prefill_node);
}

bool RequestForwarder::forward(const http::RequestContext& context,
                               Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response) const {
  const auto arrived = Clock::now();
  auto body = http::read_json_body(request, options_.max_body_bytes);
  if (auto* error = std::get_if<http::ApiError>(&body)) {
    http::send_error(response, error->status, error->message, error->type, error->param,
                     error->code);
    return true;
  }
  nlohmann::json& json = std::get<nlohmann::json>(body);
  const auto model = json.find("model");
  if (model == json.end() || !model->is_string() || model->get_ref<const std::string&>().empty()) {
    http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                     "'model' is required and must be a non-empty string", "invalid_request_error",
                     "model");
    return true;
  }
  if (json.contains("disaggd_pd")) {
    http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                     "'disaggd_pd' is set by the proxy, not by clients", "invalid_request_error",
                     "disaggd_pd");
    return true;
  }
  core::RoutingRequestInfo info;
  info.request_id = context.request_id;
  info.model = model->get<std::string>();
  UpstreamRequest upstream;
  upstream.method = request.getMethod();
  upstream.uri = request.getURI();
  upstream.request_id = context.request_id;
  upstream.authorization = request.get("Authorization", "");
  upstream.cluster_token = options_.cluster_token;
  upstream.deadline = arrived + options_.request_timeout;
  const std::shared_ptr<const ActiveRouting> routing = routing_.current();

  nlohmann::json kv_layout;
  std::string prefill_node;
  nlohmann::json handle;
  if (options_.strategy == core::ServingStrategy::kDistServe) {
    auto prefilled = prefill(*routing, info, json, upstream, response);
    if (!prefilled) {
      return true;
    }
    std::tie(handle, prefill_node) = std::move(*prefilled);
    kv_layout = handle.value("kv_layout", nlohmann::json());
    json["disaggd_pd"] = {{"cache_handle", handle}};
    info.role = core::NodeRole::kDecode;
  } else {
    info.role = core::NodeRole::kHybrid;
  }
  upstream.body = json.dump();
  int node_status = 0;
  const RelayOutcome outcome = try_nodes(
      *routing, info, kv_layout,
      [&](const std::string& node) {
        return relay_from_node(pool_, node, upstream, response, node_status);
      },
      response);
  if (!prefill_node.empty() &&
      (outcome == RelayOutcome::kNodeFailedEarly || outcome == RelayOutcome::kDeadlineEarly)) {
    // No decode node took the handle: free the prefill's blocks now rather than at their TTL.
    UpstreamRequest release = upstream;
    release.uri = "/distserve/release";
    release.body = nlohmann::json{{"handle_id", handle.value("handle_id", "")}}.dump();
    release.deadline = Clock::now() + std::chrono::seconds(2);
    FetchedAnswer ignored;
    fetch_from_node(pool_, prefill_node, release, ignored);
  }
  if (cut_short(outcome)) {
    http::abort_connection(request);
    return false;
  }
  return true;
}

}  // namespace disaggd::proxy
