// Describing, swapping and rescanning routing plugins for the admin endpoint.
#include "proxy/routing_admin.h"

#include <spdlog/spdlog.h>

#include <array>
#include <utility>

namespace disaggd::proxy {
namespace {

core::Status invalid(const std::string& message) {
  return core::Status(core::StatusCode::kInvalidArgument, message);
}

core::Result<core::PluginOption> option_from_json(const std::string& key,
                                                  const nlohmann::json& value) {
  core::PluginOption option;
  option.key = key;
  if (value.is_boolean()) {
    option.type = DISAGGD_OPTION_BOOL;
    option.bool_value = value.get<bool>();
  } else if (value.is_number_integer()) {
    option.type = DISAGGD_OPTION_INT;
    option.int_value = value.get<int64_t>();
  } else if (value.is_number()) {
    option.type = DISAGGD_OPTION_FLOAT;
    option.float_value = value.get<double>();
  } else if (value.is_string()) {
    option.type = DISAGGD_OPTION_STRING;
    option.string_value = value.get<std::string>();
  } else {
    return invalid("options." + key + " must be a boolean, a number or a string");
  }
  option.text = value.is_string() ? option.string_value : value.dump();
  return option;
}

nlohmann::json candidates_json(const std::vector<core::PluginCandidate>& candidates) {
  nlohmann::json list = nlohmann::json::array();
  for (const core::PluginCandidate& candidate : candidates) {
    list.push_back({{"kind", core::plugin_kind_name(candidate.kind)},
                    {"name", candidate.name},
                    {"file", candidate.file.string()}});
  }
  return list;
}

/// Two hybrid nodes that exist only for a dry run on an empty table.
std::vector<core::RoutingNodeStats> made_up_nodes() {
  std::vector<core::RoutingNodeStats> nodes(2);
  nodes[0].id = "http://dry-run.invalid:1";
  nodes[1].id = "http://dry-run.invalid:2";
  nodes[1].recent_latencies_ms = {10.0};
  nodes[1].completed_requests = 1;
  return nodes;
}

}  // namespace

core::Result<RoutingChoice> parse_routing_choice(const nlohmann::json& body) {
  if (!body.is_object()) {
    return invalid("the body must be a JSON object {\"strategy\": name, \"options\": {...}}");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "strategy" && key != "options") {
      return invalid("unknown field '" + key + "'; expected 'strategy' and 'options'");
    }
  }
  const auto strategy = body.find("strategy");
  if (strategy == body.end() || !strategy->is_string() ||
      strategy->get_ref<const std::string&>().empty()) {
    return invalid("'strategy' is required and must be a routing plugin name");
  }
  RoutingChoice choice;
  choice.strategy = strategy->get<std::string>();
  if (const auto options = body.find("options"); options != body.end() && !options->is_null()) {
    if (!options->is_object()) {
      return invalid("'options' must be an object of key: value");
    }
    for (const auto& [key, value] : options->items()) {
      auto option = option_from_json(key, value);
      if (!option.ok()) {
        return option.status();
      }
      choice.options.push_back(std::move(option).value());
    }
  }
  return choice;
}

nlohmann::json options_to_json(const core::PluginOptions& options) {
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

core::Status dry_run_routing(core::RoutingStrategy& strategy, const NodeRegistry& nodes) {
  std::vector<core::RoutingNodeStats> table = nodes.all();
  if (table.empty()) {
    table = made_up_nodes();
  }
  DISAGGD_RETURN_IF_ERROR(strategy.on_nodes_changed(table));
  constexpr std::array kRoles = {core::NodeRole::kHybrid, core::NodeRole::kPrefill,
                                 core::NodeRole::kDecode};
  for (const core::NodeRole role : kRoles) {
    std::vector<core::RoutingNodeStats> of_role;
    for (const core::RoutingNodeStats& node : table) {
      if (node.role == role) {
        of_role.push_back(node);
      }
    }
    if (of_role.empty()) {
      continue;
    }
    core::RoutingRequestInfo request;
    request.request_id = "dry-run";
    request.role = role;
    const core::Result<std::size_t> chosen = strategy.select(request, of_role);
    if (!chosen.ok()) {
      return chosen.status();
    }
  }
  return core::Status();
}

RoutingAdmin::RoutingAdmin(core::PluginHost& host, RoutingSlot& slot, const NodeRegistry& nodes)
    : host_(host), slot_(slot), nodes_(nodes) {}

nlohmann::json RoutingAdmin::describe() const {
  const std::shared_ptr<const ActiveRouting> active = slot_.current();
  const core::PluginInfo& info = active->strategy->info();
  return {{"strategy", info.name},
          {"version", info.version},
          {"file", info.file.string()},
          {"options", options_to_json(active->options)},
          {"generation", active->generation}};
}

core::Result<nlohmann::json> RoutingAdmin::swap(const RoutingChoice& choice,
                                                const std::string& request_id) {
  std::lock_guard<std::mutex> lock(swap_mutex_);
  const nlohmann::json previous = describe();
  auto library = host_.load_fresh(core::PluginKind::kRouting, choice.strategy);
  if (!library.ok()) {
    return core::Status(library.status().code(), "cannot load routing plugin '" + choice.strategy +
                                                     "': " + library.status().message());
  }
  auto strategy = core::RoutingStrategy::create(*library, choice.options);
  if (!strategy.ok()) {
    return core::Status(
        strategy.status().code(),
        "cannot create routing strategy '" + choice.strategy + "': " + strategy.status().message());
  }
  const core::Status tried = dry_run_routing(**strategy, nodes_);
  if (!tried.ok()) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "routing strategy '" + choice.strategy +
                            "' failed its dry run on the node table: " + tried.message());
  }
  slot_.replace(std::move(strategy).value(), choice.options);
  nlohmann::json now = describe();
  spdlog::info("[{}] routing strategy swapped: {} {} -> {} {} (generation {})", request_id,
               previous["strategy"].get<std::string>(), previous["version"].get<std::string>(),
               now["strategy"].get<std::string>(), now["version"].get<std::string>(),
               now["generation"].get<uint64_t>());
  now["previous"] = previous;
  return now;
}

nlohmann::json RoutingAdmin::rescan() {
  const core::PluginCatalogChanges changes = host_.rescan();
  const core::PluginCatalog catalog = host_.catalog();
  for (const std::string& warning : catalog.warnings()) {
    spdlog::warn("{}", warning);
  }
  return {{"added", candidates_json(changes.added)},
          {"changed", candidates_json(changes.changed)},
          {"removed", candidates_json(changes.removed)},
          {"plugins", candidates_json(catalog.candidates())},
          {"warnings", catalog.warnings()}};
}

}  // namespace disaggd::proxy
