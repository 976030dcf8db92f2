// The proxy role's listeners.
#include "proxy/proxy_server.h"

#include <Poco/Net/HTMLForm.h>

#include <algorithm>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "http/bearer_auth.h"
#include "http/json_response.h"
#include "http/openai/request_body.h"

namespace disaggd::proxy {
namespace {

using Poco::Net::HTTPResponse;

ForwardOptions forward_options(const core::Config& config) {
  ForwardOptions options;
  options.strategy = config.proxy.serving_strategy;
  options.max_body_bytes = static_cast<std::size_t>(config.server.max_body_bytes);
  options.request_timeout = std::chrono::milliseconds(config.proxy.request_timeout_ms);
  options.connect_timeout = std::chrono::milliseconds(config.proxy.connect_timeout_ms);
  options.max_connections_per_node =
      static_cast<std::size_t>(config.proxy.max_connections_per_node);
  options.cluster_token = config.server.cluster_token.value;
  options.startup_grace = std::chrono::milliseconds(config.proxy.startup_grace_ms);
  return options;
}

NodeRegistryOptions registry_options(const core::ProxyConfig& proxy) {
  NodeRegistryOptions options;
  options.failures_to_leave = proxy.health_failures;
  return options;
}

}  // namespace

ProxyServer::ProxyServer(const core::Config& config, core::PluginHost& plugins,
                         std::unique_ptr<core::RoutingStrategy> routing)
    : config_(config),
      nodes_(registry_options(config.proxy)),
      routing_(std::move(routing), config.proxy.routing_options),
      routing_admin_(plugins, routing_, nodes_),
      forwarder_(nodes_, routing_, forward_options(config), metrics_),
      client_(http::client_listener_options(config.server, "proxy")),
      api_keys_(http::split_keys(config.proxy.api_keys.value)) {
  add_client_routes();
  add_membership_routes();
  add_serving_routes();
  const core::AdminConfig& admin = config_.proxy.admin;
  if (!admin.token.empty()) {
    http::HttpServerOptions options;
    options.host = admin.host;
    options.port = admin.port;
    options.max_threads = 4;
    options.name = "admin";
    admin_ = std::make_unique<http::HttpServer>(options);
    add_admin_routes();
  } else {
    spdlog::warn("admin listener not opened: proxy.admin.token is not set");
  }
}

ProxyServer::~ProxyServer() {
  stop();
}

void ProxyServer::add_client_routes() {
  client_.add_route(
      "GET", "/health",
      [this](const http::RequestContext&, Poco::Net::HTTPServerRequest&,
             Poco::Net::HTTPServerResponse& response) {
        http::send_json(
            response, HTTPResponse::HTTP_OK,
            {{"status", "ok"},
             {"role", core::role_name(config_.role)},
             {"version", core::daemon_version()},
             {"serving_strategy", core::serving_strategy_name(config_.proxy.serving_strategy)}});
      });
}

void ProxyServer::add_serving_routes() {
  // Serves one request; false when its answer was cut short mid-way.
  auto serve = [this](const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
                      Poco::Net::HTTPServerResponse& response) {
    if (!http::require_any_bearer_token(api_keys_, request, response)) {
      return true;
    }
    return forwarder_.forward(context, request, response);
  };
  // Counts every answer by route and status ("cut" for answers cut short).
  auto counted = [this, serve](std::string route) {
    return [this, serve, route](const http::RequestContext& context,
                                Poco::Net::HTTPServerRequest& request,
                                Poco::Net::HTTPServerResponse& response) {
      const bool whole = serve(context, request, response);
      const std::string status = whole ? std::to_string(int(response.getStatus())) : "cut";
      metrics_
          .counter("disaggd_proxy_requests_total", "Client requests answered, by route and status.",
                   {{"route", route}, {"status", status}})
          .add();
    };
  };
  metrics_.callback_gauge("disaggd_proxy_nodes", "Registered nodes.",
                          [this] { return static_cast<double>(nodes_.count(true)); },
                          {{"state", "healthy"}});
  metrics_.callback_gauge("disaggd_proxy_nodes", "Registered nodes.",
                          [this] { return static_cast<double>(nodes_.count(false)); },
                          {{"state", "unhealthy"}});
  client_.add_route("GET", "/metrics",
                    [this](const http::RequestContext&, Poco::Net::HTTPServerRequest&,
                           Poco::Net::HTTPServerResponse& response) {
                      const std::string text = metrics_.render();
                      response.setStatus(HTTPResponse::HTTP_OK);
                      response.setContentType("text/plain; version=0.0.4");
                      response.setContentLength(static_cast<std::streamsize>(text.size()));
                      response.send() << text;
                    });
  client_.add_route("POST", "/v1/completions", counted("/v1/completions"));
  client_.add_route("POST", "/v1/chat/completions", counted("/v1/chat/completions"));
  client_.add_route(
      "GET", "/v1/models",
      [this](const http::RequestContext&, Poco::Net::HTTPServerRequest& request,
             Poco::Net::HTTPServerResponse& response) {
        if (!http::require_any_bearer_token(api_keys_, request, response)) {
          return;
        }
        std::vector<std::string> models;
        const nlohmann::json table = nodes_.status();
        for (const auto& [url, node] : table.items()) {
          for (const auto& model : node["models"]) {
            if (node["healthy"] == true &&
                std::find(models.begin(), models.end(), model) == models.end()) {
              models.push_back(model);
            }
          }
        }
        nlohmann::json data = nlohmann::json::array();
        for (const std::string& model : models) {
          data.push_back({{"id", model}, {"object", "model"}, {"owned_by", "disaggd"}});
        }
        http::send_json(response, HTTPResponse::HTTP_OK, {{"object", "list"}, {"data", data}});
      });
}

void ProxyServer::add_membership_routes() {
  // POST /nodes/add: disaggd's registration body or LMDeploy's (see parse_node_registration).
  client_.add_route(
      "POST", "/nodes/add",
      [this](const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
             Poco::Net::HTTPServerResponse& response) {
        if (!http::require_cluster_token(config_.server.cluster_token.value, request, response)) {
          return;
        }
        auto body = http::read_json_body(request, 1 << 20);
        if (auto* error = std::get_if<http::ApiError>(&body)) {
          return http::send_error(response, error->status, error->message, error->type,
                                  error->param, error->code);
        }
        auto node = parse_node_registration(std::get<nlohmann::json>(body));
        if (!node.ok()) {
          return http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST, node.status().message(),
                                  "invalid_request_error");
        }
        const std::string url = node->url;
        auto outcome = nodes_.add(std::move(node).value());
        if (!outcome.ok()) {
          return http::send_error(response, HTTPResponse::HTTP_CONFLICT, outcome.status().message(),
                                  "invalid_request_error", "epoch");
        }
        spdlog::info("[{}] node {} {}", context.request_id, url, *outcome);
        nodes_changed();
        http::send_json(response, HTTPResponse::HTTP_OK, {{"url", url}, {"result", *outcome}});
      });
  // POST /nodes/remove {"url": ...} (LMDeploy also sends ?node_url=).
  client_.add_route(
      "POST", "/nodes/remove",
      [this](const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
             Poco::Net::HTTPServerResponse& response) {
        if (!http::require_cluster_token(config_.server.cluster_token.value, request, response)) {
          return;
        }
        std::string url = Poco::Net::HTMLForm(request).get("node_url", "");
        if (url.empty()) {
          auto body = http::read_json_body(request, 1 << 20);
          if (auto* json = std::get_if<nlohmann::json>(&body);
              json && json->contains("url") && (*json)["url"].is_string()) {
            url = (*json)["url"].get<std::string>();
          }
        }
        auto normalized = normalize_node_url(url);
        if (!normalized.ok()) {
          return http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                                  normalized.status().message(), "invalid_request_error", "url");
        }
        if (!nodes_.remove(*normalized)) {
          return http::send_error(response, HTTPResponse::HTTP_NOT_FOUND,
                                  "no node " + *normalized + " is registered",
                                  "invalid_request_error", "url");
        }
        spdlog::info("[{}] node {} removed", context.request_id, *normalized);
        nodes_changed();
        http::send_json(response, HTTPResponse::HTTP_OK,
                        {{"url", *normalized}, {"result", "removed"}});
      });
  client_.add_route("GET", "/nodes/status",
                    [this](const http::RequestContext&, Poco::Net::HTTPServerRequest&,
                           Poco::Net::HTTPServerResponse& response) {
                      http::send_json(response, HTTPResponse::HTTP_OK, nodes_.status());
                    });
}

void ProxyServer::add_admin_routes() {
  // Every admin route checks the bearer token before it reads anything else.
  auto authenticated = [this](http::Handler handler) {
    return
        [this, handler](const http::RequestContext& context, Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response) {
          if (http::require_bearer_token(config_.proxy.admin.token.value, request, response)) {
            handler(context, request, response);
          }
        };
  };
  admin_->add_route("GET", "/admin/routing",
                    authenticated([this](const http::RequestContext&, Poco::Net::HTTPServerRequest&,
                                         Poco::Net::HTTPServerResponse& response) {
                      http::send_json(response, HTTPResponse::HTTP_OK, routing_admin_.describe());
                    }));
  admin_->add_route("PUT", "/admin/routing",
                    authenticated([this](const http::RequestContext& context,
                                         Poco::Net::HTTPServerRequest& request,
                                         Poco::Net::HTTPServerResponse& response) {
                      auto body = http::read_json_body(request, 1 << 20);
                      if (auto* error = std::get_if<http::ApiError>(&body)) {
                        return http::send_error(response, error->status, error->message,
                                                error->type, error->param, error->code);
                      }
                      auto choice = parse_routing_choice(std::get<nlohmann::json>(body));
                      if (!choice.ok()) {
                        return http::send_error(response, HTTPResponse::HTTP_BAD_REQUEST,
                                                choice.status().message(), "invalid_request_error");
                      }
                      auto swapped = routing_admin_.swap(*choice, context.request_id);
                      if (!swapped.ok()) {
                        spdlog::warn("[{}] routing swap refused; the active strategy stays: {}",
                                     context.request_id, swapped.status().message());
                        const bool unknown = swapped.status().code() == core::StatusCode::kNotFound;
                        return http::send_error(
                            response,
                            unknown ? HTTPResponse::HTTP_NOT_FOUND : HTTPResponse::HTTP_BAD_REQUEST,
                            swapped.status().message(), "invalid_request_error", "strategy",
                            unknown ? "plugin_not_found" : "plugin_refused");
                      }
                      http::send_json(response, HTTPResponse::HTTP_OK, *swapped);
                    }));
  admin_->add_route(
      "POST", "/admin/plugins/rescan",
      authenticated([this](const http::RequestContext& context, Poco::Net::HTTPServerRequest&,
                           Poco::Net::HTTPServerResponse& response) {
        nlohmann::json result = routing_admin_.rescan();
        spdlog::info(
            "[{}] plugin directories rescanned: {} added, {} changed, {} "
            "removed",
            context.request_id, result["added"].size(), result["changed"].size(),
            result["removed"].size());
        http::send_json(response, HTTPResponse::HTTP_OK, result);
      }));
}

void ProxyServer::nodes_changed() {
  const core::Status told = routing_.current()->strategy->on_nodes_changed(nodes_.all());
  if (!told.ok()) {
    spdlog::warn("{}", told.message());
  }
}

core::Status ProxyServer::start() {
  DISAGGD_RETURN_IF_ERROR(client_.start());
  if (admin_) {
    const core::Status status = admin_->start();
    if (!status.ok()) {
      client_.stop();
      return status;
    }
  }
  health_ = std::make_unique<HealthPoller>(
      nodes_, std::chrono::milliseconds(config_.proxy.health_interval_ms),
      std::chrono::milliseconds(config_.proxy.health_timeout_ms));
  const core::PluginInfo& routing = routing_.current()->strategy->info();
  spdlog::info("proxy ready: serving strategy {}, routing strategy {} {}",
               core::serving_strategy_name(config_.proxy.serving_strategy), routing.name,
               routing.version);
  return core::Status();
}

void ProxyServer::stop() {
  // Requests in flight finish (their nodes still polled); new ones get 503 shutting_down.
  client_.drain();
  health_.reset();
  if (admin_) {
    admin_->stop();
  }
  client_.stop();
}

}  // namespace disaggd::proxy
