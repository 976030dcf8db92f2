// RoutingAdmin: what the admin endpoint does to routing — describe the active strategy, swap it
// for another plugin (DESIGN.md section 3: private copy, ABI check, create, dry run on the live
// node table, atomic swap, the old strategy stays on any failure), and rescan plugin folders.
#pragma once

#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/plugins/plugin_host.h"
#include "core/plugins/plugin_options.h"
#include "core/status.h"
#include "proxy/node_registry.h"
#include "proxy/routing_slot.h"

namespace disaggd::proxy {

/// The body of PUT /admin/routing.
struct RoutingChoice {
  std::string strategy;
  core::PluginOptions options;
};

/// Reads {"strategy": name, "options": {key: bool|integer|number|string}}; errors name the field.
core::Result<RoutingChoice> parse_routing_choice(const nlohmann::json& body);

/// Plugin options as a JSON object (key → typed value).
nlohmann::json options_to_json(const core::PluginOptions& options);

/// Calls `strategy` as requests would, on the live node table (or, when no node is registered,
/// on a made-up table of two hybrid nodes): on_nodes_changed once, then select() once per role
/// that has nodes. Any error, or a choice out of range, fails the dry run with the reason.
core::Status dry_run_routing(core::RoutingStrategy& strategy, const NodeRegistry& nodes);

/// Thread-safe; swaps are serialised. `host`, `slot` and `nodes` must outlive it.
class RoutingAdmin {
 public:
  RoutingAdmin(core::PluginHost& host, RoutingSlot& slot, const NodeRegistry& nodes);

  /// GET /admin/routing: {strategy, version, file, options, generation}.
  nlohmann::json describe() const;
  /// PUT /admin/routing. On success the description of the new strategy plus "previous"; on
  /// failure the old strategy stays active and the status says which step failed and why.
  core::Result<nlohmann::json> swap(const RoutingChoice& choice, const std::string& request_id);
  /// POST /admin/plugins/rescan: {added, changed, removed, plugins} with each file's kind and
  /// name.
  nlohmann::json rescan();

 private:
  core::PluginHost& host_;
  RoutingSlot& slot_;
  const NodeRegistry& nodes_;
  std::mutex swap_mutex_;
};

}  // namespace disaggd::proxy
