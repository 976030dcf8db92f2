// HttpServer: a Poco HTTP listener with a route table, request ids and OpenAI-style errors for
// unknown paths and methods.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/ThreadPool.h>

#include "core/config/config.h"
#include "core/status.h"

namespace disaggd::http {

/// Per-request data every handler receives.
struct RequestContext {
  std::string request_id;  ///< From the client's X-Request-Id, or generated; echoed back.
};

using Handler = std::function<void(const RequestContext&, Poco::Net::HTTPServerRequest&,
                                   Poco::Net::HTTPServerResponse&)>;

/// Listener settings.
struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  ///< 0: an ephemeral port (see HttpServer::port()).
  int max_threads = 512;
  int max_queued = 1024;
  int keep_alive_timeout_s = 60;
  std::string name = "http";  ///< For log lines ("proxy", "admin").
  /// drain(): the longest wait for requests in flight.
  std::chrono::milliseconds drain_timeout{30000};
};

/// The client listener's settings from the config's `server` section; `name` is for log lines.
HttpServerOptions client_listener_options(const core::ServerConfig& server, std::string name);

/// Routes are added before start() and never change afterwards, so handlers run concurrently
/// without locks. A handler that throws gets a 500 error object; the server stays up.
class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Registers `handler` for `method` (GET, POST, ...) on the exact `path`.
  void add_route(const std::string& method, const std::string& path, Handler handler);

  /// Keeps `path` served while draining (the prefill's release endpoint: decode nodes still need
  /// it). Call before start().
  void serve_while_draining(const std::string& path);

  /// Binds and starts serving. Fails with a message naming the address when it cannot bind.
  core::Status start();
  /// From now on answers new requests with 503 shutting_down (Connection: close), except on the
  /// paths given to serve_while_draining(), and waits up to options.drain_timeout for the
  /// requests in flight to end. Returns the time left of that timeout. Thread-safe.
  std::chrono::milliseconds drain();
  /// Closes the listener and every connection, cutting requests still in flight. Idempotent.
  void stop();
  /// The bound port (useful with port 0).
  int port() const { return bound_port_; }

 private:
  class Factory;

  HttpServerOptions options_;
  std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
  std::set<std::string> served_while_draining_;
  std::atomic<bool> draining_{false};
  mutable std::atomic<int> in_flight_{0};  // requests being handled (handlers see a const server)
  std::unique_ptr<Poco::ThreadPool> thread_pool_;  // Outlives server_, which runs on it.
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int bound_port_ = 0;
};

}  // namespace disaggd::http
