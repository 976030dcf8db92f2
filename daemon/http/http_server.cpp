// A Poco HTTP listener with a route table.
#include "http/http_server.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <spdlog/spdlog.h>

#include "http/json_response.h"

namespace disaggd::http {

HttpServerOptions client_listener_options(const core::ServerConfig& server, std::string name) {
  HttpServerOptions options;
  options.host = server.name;
  options.port = server.port;
  options.max_threads = server.max_threads;
  options.max_queued = server.max_queued;
  options.keep_alive_timeout_s = server.keep_alive_timeout_s;
  options.name = std::move(name);
  options.drain_timeout = std::chrono::milliseconds(server.drain_timeout_ms);
  return options;
}

namespace {

using Poco::Net::HTTPResponse;

bool is_acceptable_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = engine();
  std::string id(16, '0');
  for (char& c : id) {
    c = kHex[bits & 0xF];
    bits >>= 4;
  }
  return id;
}

}  // namespace

/// Creates one handler per request; the handler looks the route up in the (immutable) table.
class HttpServer::Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const HttpServer* server) : server_(server) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouteHandler(server_);
  }

 private:
  class RouteHandler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit RouteHandler(const HttpServer* server) : server_(server) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      const auto started = std::chrono::steady_clock::now();
      RequestContext context;
      // A copy: get() returns a reference, to the temporary default when the header is absent.
      const std::string client_id = request.get("X-Request-Id", "");
      context.request_id = is_acceptable_request_id(client_id) ? client_id : new_request_id();
      response.set("X-Request-Id", context.request_id);
      // Counted before the draining check, so drain() never misses a request that passed it.
      struct InFlight {
        std::atomic<int>& count;
        explicit InFlight(std::atomic<int>& c) : count(c) { ++count; }
        ~InFlight() { --count; }
      } in_flight(server_->in_flight_);
      if (server_->draining_) {
        response.setKeepAlive(false);  // connections close as their requests end
        if (!server_->served_while_draining_.contains(path_of(request))) {
          send_error(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                     "this " + server_->options_.name + " is shutting down; retry on another",
                     "service_unavailable", "", "shutting_down");
          return;
        }
      }
      dispatch(context, request, response);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      spdlog::debug("[{}] {} {} {} -> {} ({:.2f} ms)", context.request_id, server_->options_.name,
                    request.getMethod(), request.getURI(), static_cast<int>(response.getStatus()),
                    ms);
    }

   private:
    static std::string path_of(const Poco::Net::HTTPServerRequest& request) {
      return request.getURI().substr(0, request.getURI().find('?'));
    }

    void dispatch(const RequestContext& context, Poco::Net::HTTPServerRequest& request,
                  Poco::Net::HTTPServerResponse& response) {
      const std::string path = path_of(request);
      const auto route = server_->routes_.find(path);
      if (route == server_->routes_.end()) {
        send_error(response, HTTPResponse::HTTP_NOT_FOUND, "no such endpoint: " + path,
                   "not_found_error");
        return;
      }
      const auto handler = route->second.find(request.getMethod());
      if (handler == route->second.end()) {
        std::string allowed;
        for (const auto& [method, unused] : route->second) {
          allowed += (allowed.empty() ? "" : ", ") + method;
        }
        response.set("Allow", allowed);
        send_error(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                   "method " + request.getMethod() + " is not allowed on " + path +
                       " (allowed: " + allowed + ")",
                   "invalid_request_error");
        return;
      }
      try {
        handler->second(context, request, response);
      } catch (const std::exception& e) {
        spdlog::error("[{}] {} {} failed: {}", context.request_id, request.getMethod(), path,
                      e.what());
        if (!response.sent()) {
          send_error(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                     "internal error while handling the request", "server_error");
        }
      }
    }

    const HttpServer* server_;
  };

  const HttpServer* server_;
};

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::add_route(const std::string& method, const std::string& path, Handler handler) {
  routes_[path][method] = std::move(handler);
}

core::Status HttpServer::start() {
  const std::string address = options_.host + ":" + std::to_string(options_.port);
  try {
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR for quick restarts, never SO_REUSEPORT: a second daemon on the same port
    // must fail loudly instead of silently sharing the port's connections.
    socket.bind(Poco::Net::SocketAddress(options_.host, static_cast<Poco::UInt16>(options_.port)),
                /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(std::max(64, options_.max_queued));
    bound_port_ = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.max_threads);
    params->setMaxQueued(options_.max_queued);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    params->setKeepAliveTimeout(Poco::Timespan(options_.keep_alive_timeout_s, 0));
    // An own pool: Poco's default one stops at 16 threads whatever max_threads says.
    thread_pool_ = std::make_unique<Poco::ThreadPool>(2, options_.max_threads);
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(this), *thread_pool_, socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    server_.reset();
    thread_pool_.reset();
    return core::Status(
        core::StatusCode::kUnavailable,
        options_.name + " listener: cannot listen on " + address + ": " + e.displayText());
  }
  spdlog::info("{} listener on {}:{}", options_.name, options_.host, bound_port_);
  return core::Status();
}

void HttpServer::serve_while_draining(const std::string& path) {
  served_while_draining_.insert(path);
}

std::chrono::milliseconds HttpServer::drain() {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + options_.drain_timeout;
  draining_ = true;
  if (in_flight_ > 0) {
    spdlog::info("{} draining: {} request(s) in flight, up to {} ms", options_.name,
                 in_flight_.load(), options_.drain_timeout.count());
  }
  while (in_flight_ > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (in_flight_ > 0) {
    spdlog::warn("{} drain timeout: cutting {} request(s) still in flight", options_.name,
                 in_flight_.load());
  }
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

void HttpServer::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
    thread_pool_->joinAll();
    thread_pool_.reset();
  }
}

}  // namespace disaggd::http
