// Calling a routing plugin instance through its C vtable.
#include "core/plugins/routing_strategy.h"

#include <utility>

#include "core/plugins/plugin_call.h"

namespace disaggd::core {
namespace {

disaggd_string_view view_of(const std::string& text) {
  return disaggd_string_view{text.data(), text.size()};
}

// The ABI form of a node table: structs pointing into `nodes`, plus the pointer array.
class AbiNodeTable {
 public:
  explicit AbiNodeTable(std::span<const RoutingNodeStats> nodes) {
    structs_.reserve(nodes.size());
    for (const RoutingNodeStats& node : nodes) {
      disaggd_routing_node abi{};
      abi.struct_size = sizeof(disaggd_routing_node);
      abi.id = view_of(node.id);
      abi.role = static_cast<uint32_t>(node.role);
      abi.in_flight = node.in_flight;
      abi.speed = node.speed;
      abi.recent_latencies_ms =
          node.recent_latencies_ms.empty() ? nullptr : node.recent_latencies_ms.data();
      abi.recent_latency_count = node.recent_latencies_ms.size();
      abi.completed_requests = node.completed_requests;
      abi.failed_requests = node.failed_requests;
      structs_.push_back(abi);
    }
    for (const disaggd_routing_node& abi : structs_) {
      pointers_.push_back(&abi);
    }
  }

  const disaggd_routing_node* const* data() const {
    return pointers_.empty() ? nullptr : pointers_.data();
  }
  size_t size() const { return pointers_.size(); }

 private:
  std::vector<disaggd_routing_node> structs_;
  std::vector<const disaggd_routing_node*> pointers_;
};

}  // namespace

RoutingStrategy::RoutingStrategy(std::shared_ptr<PluginLibrary> library,
                                 const disaggd_routing_vtable* vtable)
    : library_(std::move(library)),
      vtable_(vtable),
      host_services_("routing/" + library_->info().name) {}

Result<std::unique_ptr<RoutingStrategy>> RoutingStrategy::create(
    std::shared_ptr<PluginLibrary> library, const PluginOptions& options) {
  if (library == nullptr || library->info().kind != PluginKind::kRouting) {
    return Status(StatusCode::kInvalidArgument,
                  library == nullptr ? "no plugin library"
                                     : library->display_name() + " is not a routing plugin");
  }
  const auto* vtable = static_cast<const disaggd_routing_vtable*>(library->vtable());
  std::unique_ptr<RoutingStrategy> strategy(new RoutingStrategy(std::move(library), vtable));
  const AbiOptions abi_options(options);
  disaggd_routing_instance* instance = nullptr;
  DISAGGD_RETURN_IF_ERROR(call_plugin(strategy->call_name("create"), [&](disaggd_string_sink* e) {
    return vtable->create_fn(abi_options.data(), abi_options.size(), strategy->host_services_.get(),
                             &instance, e);
  }));
  if (instance == nullptr) {
    return Status(StatusCode::kInternal,
                  strategy->call_name("create") + ": returned OK but no instance");
  }
  strategy->instance_ = instance;
  return strategy;
}

RoutingStrategy::~RoutingStrategy() {
  if (instance_ != nullptr) {
    try {
      vtable_->destroy_fn(instance_);
    } catch (...) {
      // A plugin that throws from destroy_fn broke the ABI; contain it rather than terminate.
    }
  }
}

std::string RoutingStrategy::call_name(const char* function) const {
  return library_->display_name() + ": " + function;
}

Result<std::size_t> RoutingStrategy::select(const RoutingRequestInfo& request,
                                            std::span<const RoutingNodeStats> nodes) {
  if (nodes.empty()) {
    return Status(StatusCode::kUnavailable, "no candidate node for the request");
  }
  const AbiNodeTable table(nodes);
  disaggd_routing_request abi_request{};
  abi_request.struct_size = sizeof(disaggd_routing_request);
  abi_request.request_id = view_of(request.request_id);
  abi_request.model = view_of(request.model);
  abi_request.role = static_cast<uint32_t>(request.role);
  abi_request.prompt_tokens = request.prompt_tokens;
  size_t chosen = table.size();
  DISAGGD_RETURN_IF_ERROR(call_plugin(call_name("select"), [&](disaggd_string_sink* e) {
    return vtable_->select_fn(instance_, &abi_request, table.data(), table.size(), &chosen, e);
  }));
  if (chosen >= table.size()) {
    return Status(StatusCode::kInternal, call_name("select") + ": chose node " +
                                             std::to_string(chosen) + " of " +
                                             std::to_string(table.size()));
  }
  return chosen;
}

Status RoutingStrategy::on_request_done(const std::string& node_id, const std::string& request_id,
                                        double latency_ms, bool ok) {
  disaggd_routing_outcome outcome{};
  outcome.struct_size = sizeof(disaggd_routing_outcome);
  outcome.node_id = view_of(node_id);
  outcome.request_id = view_of(request_id);
  outcome.latency_ms = latency_ms;
  outcome.ok = ok ? 1u : 0u;
  return call_plugin(call_name("on_request_done"), [&](disaggd_string_sink* e) {
    return vtable_->on_request_done_fn(instance_, &outcome, e);
  });
}

Status RoutingStrategy::on_nodes_changed(std::span<const RoutingNodeStats> nodes) {
  const AbiNodeTable table(nodes);
  return call_plugin(call_name("on_nodes_changed"), [&](disaggd_string_sink* e) {
    return vtable_->on_nodes_changed_fn(instance_, table.data(), table.size(), e);
  });
}

}  // namespace disaggd::core
