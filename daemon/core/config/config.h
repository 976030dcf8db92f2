// The daemon's configuration as typed structs, filled from YAML and command-line overrides by
// ConfigLoader and described field by field in config_schema.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/secret.h"
#include "core/plugins/plugin_options.h"

namespace disaggd::core {

/// What a disaggd process does.
enum class Role { kProxy, kPrefill, kDecode, kHybrid };

/// How the proxy serves a request: on one hybrid node, or split into prefill and decode.
enum class ServingStrategy { kHybrid, kDistServe };

/// Verbosity of the log.
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

/// The listener clients talk to.
struct ServerConfig {
  std::string name = "0.0.0.0";   ///< Address to bind.
  int port = 8000;                ///< TCP port.
  int max_threads = 512;          ///< Connection threads (one per open connection).
  int max_queued = 1024;          ///< Accepted connections waiting for a thread.
  int keep_alive_timeout_s = 60;  ///< Idle time before a keep-alive connection is closed.
  int max_body_bytes = 8 << 20;   ///< Largest request body accepted (413 above).
  Secret cluster_token;          ///< Shared secret of the internal endpoints; empty: they are open.
  int drain_timeout_ms = 30000;  ///< On SIGTERM: longest wait for requests in flight.
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
};

struct PluginsConfig {
  std::vector<std::filesystem::path> dirs;  ///< Extra plugin directories, searched in order.
};

/// The authenticated admin listener of the proxy.
struct AdminConfig {
  std::string host = "127.0.0.1";
  int port = 8001;  ///< 0 picks a free port.
  Secret token;     ///< Bearer token; the endpoint stays closed while none is configured.
};

struct ProxyConfig {
  std::string routing_strategy = "min_expected_latency";  ///< Routing plugin name.
  PluginOptions routing_options;
  ServingStrategy serving_strategy = ServingStrategy::kHybrid;
  AdminConfig admin;
  int health_interval_ms = 2000;       ///< Time between health checks of each node.
  int health_timeout_ms = 1000;        ///< A health check slower than this failed.
  int health_failures = 3;             ///< Consecutive failures before a node leaves rotation.
  int request_timeout_ms = 600000;     ///< Deadline of one client request, retries included.
  int connect_timeout_ms = 3000;       ///< Longest wait for a TCP connection to a node.
  int max_connections_per_node = 256;  ///< Keep-alive connections to one node (in use + idle).
  int startup_grace_ms = 15000;  ///< After start, with no node registered: wait for one, not 503.
  Secret api_keys;  ///< Keys clients must send as bearer tokens (comma-separated); empty: none.
};

/// Settings of prefill, decode and hybrid nodes.
struct NodeConfig {
  std::string proxy_url;          ///< Proxy to register with; empty: none.
  std::filesystem::path model;    ///< Hugging Face model folder.
  std::string backend = "torch";  ///< Model backend plugin name.
  PluginOptions backend_options;
  std::string migration_backend = "tcp";  ///< Migration plugin name.
  PluginOptions migration_options;
  int migration_timeout_ms = 10000;  ///< Decode: connecting and pulling one prompt's KV.
  int kept_cache_ttl_ms = 30000;     ///< Prefill: a kept prompt KV waits this long for release.
  std::string advertise_url;         ///< URL the proxy reaches this node at; empty: from server.*.
  std::string served_model_name;     ///< Name clients use; empty: the model folder's name.
  std::filesystem::path chat_template;  ///< Jinja file; empty: the model folder's template.
  int max_batched_tokens = 2048;        ///< Tokens per forward step (chunked prefill).
  int max_running = 256;                ///< Sequences generating at once.
};

/// The whole configuration of one disaggd process.
struct Config {
  Role role = Role::kProxy;
  ServerConfig server;
  LogConfig log;
  PluginsConfig plugins;
  ProxyConfig proxy;
  NodeConfig node;
};

/// Lower-case names used in YAML, logs and /health.
std::string_view role_name(Role role);
std::string_view serving_strategy_name(ServingStrategy strategy);
std::string_view log_level_name(LogLevel level);

/// True for the roles that run a model (prefill, decode, hybrid).
bool is_node_role(Role role);

}  // namespace disaggd::core
