// Choosing a node, sending the request, relaying the answer, retrying a node that failed early.
#include "proxy/hybrid_forwarder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "http/json_response.h"
#include "http/openai/request_body.h"

namespace disaggd::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::HTTPResponse;

/// What happened to one attempt on one node.
enum class Attempt { kRelayed, kNodeFailedEarly, kNodeFailedLate, kClientGone };

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Poco::Timespan timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<long>(ms.count() / 1000),
                        static_cast<long>((ms.count() % 1000) * 1000));
}

/// Sends `body` to `node` and relays its answer to `response`. Nothing reaches the client until
/// the node has answered with a status line, so an early failure can be retried elsewhere.
Attempt relay(const std::string& node, const std::string& body, const http::RequestContext& context,
              Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
              std::chrono::milliseconds timeout, int& node_status) {
  Poco::Net::HTTPResponse upstream;
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  std::istream* in = nullptr;
  try {
    const Poco::URI uri(node);
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    session->setTimeout(timespan(timeout));
    Poco::Net::HTTPRequest forwarded(request.getMethod(), request.getURI(),
                                     Poco::Net::HTTPMessage::HTTP_1_1);
    forwarded.setContentType("application/json");
    forwarded.setContentLength(static_cast<std::streamsize>(body.size()));
    forwarded.set("X-Request-Id", context.request_id);
    if (request.has("Authorization")) {
      forwarded.set("Authorization", request.get("Authorization"));
    }
    session->sendRequest(forwarded) << body;
    in = &session->receiveResponse(upstream);
  } catch (const std::exception& e) {
    spdlog::warn("[{}] node {} failed before answering: {}", context.request_id, node, e.what());
    return Attempt::kNodeFailedEarly;
  }
  node_status = static_cast<int>(upstream.getStatus());
  if (node_status >= 500) {
    spdlog::warn("[{}] node {} answered {}", context.request_id, node, node_status);
    return Attempt::kNodeFailedEarly;
  }
  response.setStatusAndReason(upstream.getStatus());
  response.setContentType(upstream.getContentType());
  if (upstream.has("Cache-Control")) {
    response.set("Cache-Control", upstream.get("Cache-Control"));
  }
  response.setChunkedTransferEncoding(true);
  std::ostream& out = response.send();
  char buffer[16384];
  while (true) {
    std::streamsize n = 0;
    try {
      // readsome-like: take what has arrived, so SSE events go out as they come.
      in->read(buffer, 1);
      n = in->gcount();
      if (n > 0) {
        n += in->readsome(buffer + 1, sizeof buffer - 1);
      }
    } catch (const std::exception& e) {
      spdlog::warn("[{}] node {} failed mid-answer: {}", context.request_id, node, e.what());
      return Attempt::kNodeFailedLate;
    }
    if (n <= 0) {
      return in->eof() ? Attempt::kRelayed : Attempt::kNodeFailedLate;
    }
    try {
      out.write(buffer, n);
      out.flush();
    } catch (...) {
      return Attempt::kClientGone;  // closing the session cancels the node's generation
    }
    if (!out) {
      return Attempt::kClientGone;
    }
  }
}

}  // namespace

HybridForwarder::HybridForwarder(NodeRegistry& registry, core::RoutingStrategy& routing,
                                 ForwardOptions options, core::MetricsRegistry& metrics)
    : registry_(registry),
      routing_(routing),
      options_(options),
      metrics_(metrics),
      retries_(
          metrics.counter("disaggd_proxy_retries_total",
                          "Requests sent to another node after one failed before answering.")) {}

void HybridForwarder::forward(const http::RequestContext& context,
                              Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response) const {
  auto body = http::read_json_body(request, options_.max_body_bytes);
  if (auto* error = std::get_if<http::ApiError>(&body)) {
    return http::send_error(response, error->status, error->message, error->type, error->param,
                            error->code);
  }
  const nlohmann::json& json = std::get<nlohmann::json>(body);
  const auto model = json.find("model");
  if (model == json.end() || !model->is_string()) {
    return http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                            "'model' is required and must be a non-empty string",
                            "invalid_request_error", "model");
  }
  core::RoutingRequestInfo info;
  info.request_id = context.request_id;
  info.model = model->get<std::string>();
  info.role = core::NodeRole::kHybrid;
  const std::string text = json.dump();
  std::vector<std::string> tried;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    std::vector<core::RoutingNodeStats> nodes = registry_.candidates(info.role, info.model);
    std::erase_if(nodes, [&tried](const core::RoutingNodeStats& n) {
      return std::find(tried.begin(), tried.end(), n.id) != tried.end();
    });
    if (nodes.empty()) {
      break;
    }
    auto chosen = routing_.select(info, nodes);
    if (!chosen.ok()) {
      spdlog::error("[{}] routing failed: {}", context.request_id, chosen.status().message());
      break;
    }
    const std::string node = nodes[*chosen].id;
    tried.push_back(node);
    registry_.request_started(node);
    const auto start = Clock::now();
    int node_status = 0;
    const Attempt outcome =
        relay(node, text, context, request, response, options_.node_timeout, node_status);
    const double latency = ms_since(start);
    metrics_
        .histogram("disaggd_proxy_upstream_seconds",
                   "Time from sending a request to a node to the end of its answer.",
                   core::latency_buckets_seconds(), {{"node", node}})
        .observe(latency / 1000.0);
    const bool node_ok = outcome == Attempt::kRelayed || outcome == Attempt::kClientGone;
    registry_.request_finished(node, latency, node_ok);
    routing_.on_request_done(node, context.request_id, latency, node_ok);
    if (outcome != Attempt::kNodeFailedEarly) {
      return;  // relayed, or bytes already reached the client: no retry is possible
    }
    retries_.add();
    std::this_thread::sleep_for(options_.backoff * (attempt + 1));
  }
  http::send_error(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                   tried.empty() ? "no healthy node serves model '" + info.model + "'"
                                 : "every node tried for model '" + info.model + "' failed",
                   "service_unavailable", "model", "no_node_available");
}

}  // namespace disaggd::proxy
