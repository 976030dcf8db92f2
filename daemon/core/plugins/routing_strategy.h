// RoutingStrategy: one live instance of a routing plugin, called through its C vtable.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/plugins/plugin_host_services.h"
#include "core/plugins/plugin_library.h"
#include "core/plugins/plugin_options.h"
#include "core/status.h"
#include "disaggd/routing.h"

namespace disaggd::core {

/// Role of a node as routing sees it (mirrors disaggd_node_role).
enum class NodeRole : uint32_t {
  kHybrid = DISAGGD_NODE_ROLE_HYBRID,
  kPrefill = DISAGGD_NODE_ROLE_PREFILL,
  kDecode = DISAGGD_NODE_ROLE_DECODE,
};

/// The proxy's statistics about one node, as handed to routing plugins.
struct RoutingNodeStats {
  std::string id;
  NodeRole role = NodeRole::kHybrid;
  uint32_t in_flight = 0;
  double speed = 0.0;                       ///< <= 0: not configured.
  std::vector<double> recent_latencies_ms;  ///< Oldest first.
  uint64_t completed_requests = 0;
  uint64_t failed_requests = 0;
};

/// The request being routed.
struct RoutingRequestInfo {
  std::string request_id;
  std::string model;
  NodeRole role = NodeRole::kHybrid;
  uint64_t prompt_tokens = 0;
};

/// A routing plugin instance. Keeps its library loaded while it lives. select(),
/// on_request_done() and on_nodes_changed() may be called from many threads at once (the ABI
/// requires plugins to allow it); construction and destruction must not race with them.
class RoutingStrategy {
 public:
  /// Creates an instance of the routing plugin in `library` with `options`. A plugin that
  /// rejects its options or throws yields a Status naming the plugin, its file and the reason.
  static Result<std::unique_ptr<RoutingStrategy>> create(std::shared_ptr<PluginLibrary> library,
                                                         const PluginOptions& options);

  ~RoutingStrategy();
  RoutingStrategy(const RoutingStrategy&) = delete;
  RoutingStrategy& operator=(const RoutingStrategy&) = delete;

  /// Index into `nodes` of the chosen node. kUnavailable when `nodes` is empty.
  Result<std::size_t> select(const RoutingRequestInfo& request,
                             std::span<const RoutingNodeStats> nodes);
  /// Reports how a routed request ended.
  Status on_request_done(const std::string& node_id, const std::string& request_id,
                         double latency_ms, bool ok);
  /// Reports the whole node table after it changed.
  Status on_nodes_changed(std::span<const RoutingNodeStats> nodes);

  const PluginInfo& info() const { return library_->info(); }

 private:
  RoutingStrategy(std::shared_ptr<PluginLibrary> library, const disaggd_routing_vtable* vtable);

  std::string call_name(const char* function) const;

  // Declared first so it is destroyed last: the plugin's code must stay mapped until
  // destroy_fn has returned.
  std::shared_ptr<PluginLibrary> library_;
  const disaggd_routing_vtable* vtable_;
  PluginHostServices host_services_;
  disaggd_routing_instance* instance_ = nullptr;
};

}  // namespace disaggd::core
