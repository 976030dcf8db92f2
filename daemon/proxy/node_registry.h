// NodeRegistry: the proxy's table of nodes — who registered with which role, models and epoch,
// whether each is healthy, and the statistics routing plugins decide on.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plugins/routing_strategy.h"
#include "core/status.h"

namespace disaggd::proxy {

/// What a node says about itself when it registers.
struct NodeInfo {
  std::string url;  ///< Base URL ("http://host:port", no trailing slash): the node's identity.
  core::NodeRole role = core::NodeRole::kHybrid;
  std::vector<std::string> models;    ///< Served model names; empty: asked of the node later.
  uint64_t epoch = 0;                 ///< Grows each time the node process restarts.
  double speed = 0.0;                 ///< Relative capacity for routing; <= 0: not configured.
  nlohmann::json migration_endpoint;  ///< Opaque to the proxy (prefill and decode nodes).
  nlohmann::json kv_layout;           ///< Opaque to the proxy.
};

struct NodeRegistryOptions {
  /// Consecutive failed health checks (or requests that failed before any byte) after which a
  /// node leaves rotation; one success brings it back.
  int failures_to_leave = 3;
  /// Latencies kept per node for routing.
  std::size_t latency_window = 16;
};

/// Thread-safe: request threads, the health poller and the admin/registration handlers use it
/// at once. Lives only in memory: a restarted proxy starts empty and nodes register again.
class NodeRegistry {
 public:
  explicit NodeRegistry(NodeRegistryOptions options = {});

  /// Adds `node`, or updates it (same epoch), or replaces it with fresh statistics (newer epoch).
  /// A registration with an older epoch than the one held is refused: a delayed message from a
  /// dead process must not replace its successor. Returns what happened: "added", "updated",
  /// "replaced".
  core::Result<std::string> add(NodeInfo node);
  /// Forgets the node; false when it was not registered.
  bool remove(const std::string& url);

  /// Statistics of the healthy nodes with `role` that serve `model` (a node that listed no
  /// models serves any), in registration order, for RoutingStrategy::select.
  /// With a non-null `kv_layout`, only nodes that registered exactly that layout (decode nodes
  /// that can take a given prefill node's KV).
  std::vector<core::RoutingNodeStats> candidates(
      core::NodeRole role, const std::string& model,
      const nlohmann::json& kv_layout = nlohmann::json()) const;
  /// Every node's statistics, for RoutingStrategy::on_nodes_changed and dry runs.
  std::vector<core::RoutingNodeStats> all() const;

  /// A request was sent to `url`.
  void request_started(const std::string& url);
  /// A request sent to `url` ended after `latency_ms`; `ok` false when the node failed it.
  void request_finished(const std::string& url, double latency_ms, bool ok);
  /// The outcome of one health check of `url`.
  void health_checked(const std::string& url, bool ok);

  /// Registered nodes that are in rotation (`healthy`) or out of it.
  std::size_t count(bool healthy) const;
  /// The URLs to health-check.
  std::vector<std::string> urls() const;
  /// GET /nodes/status: url → {role, models, epoch, healthy, in_flight, ...}.
  nlohmann::json status() const;

 private:
  struct Entry {
    NodeInfo info;
    bool healthy = true;
    int consecutive_failures = 0;
    uint32_t in_flight = 0;
    std::deque<double> latencies_ms;
    uint64_t completed = 0;
    uint64_t failed = 0;
    uint64_t order = 0;  ///< Registration order.
  };

  core::RoutingNodeStats stats_of(const Entry& entry) const;
  void record_failure(Entry& entry);

  NodeRegistryOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> nodes_;
  uint64_t next_order_ = 0;
};

/// "hybrid", "prefill" or "decode".
const char* node_role_name(core::NodeRole role);

/// The node table's URL form: scheme://host:port without a trailing slash, or an error for
/// anything that is not an http(s) URL.
core::Result<std::string> normalize_node_url(const std::string& url);

/// Reads a POST /nodes/add body: disaggd's form {url, role: "hybrid"|"prefill"|"decode", models,
/// epoch, speed, migration_endpoint, kv_layout} or LMDeploy's {url, status: {models,
/// role: 1|2|3, speed}}. Errors name the field.
core::Result<NodeInfo> parse_node_registration(const nlohmann::json& body);

}  // namespace disaggd::proxy
