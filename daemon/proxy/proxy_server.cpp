// The proxy role's listeners.
#include "proxy/proxy_server.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "http/bearer_auth.h"
#include "http/json_response.h"

namespace disaggd::proxy {
namespace {

using Poco::Net::HTTPResponse;

nlohmann::json options_json(const core::PluginOptions& options) {
  nlohmann::json json = nlohmann::json::object();
  for (const core::PluginOption& option : options) {
    switch (option.type) {
      case DISAGGD_OPTION_BOOL:
        json[option.key] = option.bool_value;
        break;
      case DISAGGD_OPTION_INT:
        json[option.key] = option.int_value;
        break;
      case DISAGGD_OPTION_FLOAT:
        json[option.key] = option.float_value;
        break;
      default:
        json[option.key] = option.string_value;
        break;
    }
  }
  return json;
}

}  // namespace

ProxyServer::ProxyServer(const core::Config& config, std::unique_ptr<core::RoutingStrategy> routing)
    : config_(config),
      routing_(std::move(routing)),
      client_(http::client_listener_options(config.server, "proxy")) {
  add_client_routes();
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

void ProxyServer::add_admin_routes() {
  admin_->add_route(
      "GET", "/admin/routing",
      [this](const http::RequestContext&, Poco::Net::HTTPServerRequest& request,
             Poco::Net::HTTPServerResponse& response) {
        if (!http::require_bearer_token(config_.proxy.admin.token.value, request, response)) {
          return;
        }
        const core::PluginInfo& info = routing_->info();
        http::send_json(response, HTTPResponse::HTTP_OK,
                        {{"strategy", info.name},
                         {"version", info.version},
                         {"file", info.file.string()},
                         {"options", options_json(config_.proxy.routing_options)}});
      });
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
  spdlog::info("proxy ready: serving strategy {}, routing strategy {} {}",
               core::serving_strategy_name(config_.proxy.serving_strategy), routing_->info().name,
               routing_->info().version);
  return core::Status();
}

void ProxyServer::stop() {
  if (admin_) {
    admin_->stop();
  }
  client_.stop();
}

}  // namespace disaggd::proxy
