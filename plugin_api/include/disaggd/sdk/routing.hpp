/// @file disaggd/sdk/routing.hpp
/// C++ plugin SDK for routing strategies. Write a class derived from `RoutingStrategy` with a
/// constructor `(disaggd::sdk::Options&, disaggd::sdk::Host)`, then export it with one line:
///
///     DISAGGD_ROUTING_PLUGIN(MyStrategy, "my_strategy", "1.0.0", "Picks ...");
///
/// The SDK fills the C vtable, checks arguments, rejects unknown options and turns every exception
/// into a status with a message, so nothing throws across the ABI.
#ifndef DISAGGD_SDK_ROUTING_HPP
#define DISAGGD_SDK_ROUTING_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "disaggd/routing.h"
#include "disaggd/sdk/descriptor.hpp"
#include "disaggd/sdk/error.hpp"
#include "disaggd/sdk/host.hpp"
#include "disaggd/sdk/options.hpp"
#include "disaggd/sdk/views.hpp"

namespace disaggd::sdk {

/// Read-only view of one candidate node; valid for the call that received it.
class RoutingNode {
 public:
  explicit RoutingNode(const disaggd_routing_node& node) noexcept : node_(&node) {}

  /// Stable identity (base URL).
  std::string_view id() const noexcept { return to_string_view(node_->id); }
  /// Role of the node.
  disaggd_node_role role() const noexcept { return static_cast<disaggd_node_role>(node_->role); }
  /// Requests in flight on the node, as the proxy counts them.
  std::uint32_t in_flight() const noexcept { return node_->in_flight; }
  /// Configured speed as given (see has_speed()).
  double speed() const noexcept { return node_->speed; }
  /// True when a usable speed (finite and > 0) is configured.
  bool has_speed() const noexcept { return std::isfinite(node_->speed) && node_->speed > 0.0; }
  /// Number of recent latencies the proxy keeps for the node (0 if the host passed no array).
  std::size_t latency_count() const noexcept {
    return node_->recent_latencies_ms == nullptr ? 0 : node_->recent_latency_count;
  }
  /// Recent latency `i` in ms, oldest first (i < latency_count()), exactly as the host passed it.
  double latency_ms(std::size_t i) const noexcept { return node_->recent_latencies_ms[i]; }
  /// True for a latency that can be a measurement: finite and not negative. Anything else (NaN,
  /// infinity, a negative time) says nothing about the node, so the helpers below skip it.
  static bool is_usable_latency(double value_ms) noexcept {
    return std::isfinite(value_ms) && value_ms >= 0.0;
  }
  /// Mean of the newest `window` usable latencies (all of them if fewer), or nothing when the node
  /// has no usable latency. Unusable entries are skipped, not counted against `window`. A mean
  /// beyond the range of double is +infinity (it ranks as the slowest).
  std::optional<double> mean_recent_latency_ms(std::size_t window) const noexcept {
    double sum = 0.0;
    std::size_t used = 0;
    for (std::size_t i = latency_count(); i > 0 && used < window; --i) {
      const double latency = latency_ms(i - 1);
      if (is_usable_latency(latency)) {
        sum += latency;
        ++used;
      }
    }
    if (used == 0) {
      return std::nullopt;
    }
    return sum / static_cast<double>(used);
  }
  /// Requests finished successfully on the node.
  std::uint64_t completed_requests() const noexcept { return node_->completed_requests; }
  /// Requests that failed on the node.
  std::uint64_t failed_requests() const noexcept { return node_->failed_requests; }

 private:
  const disaggd_routing_node* node_;
};

/// Read-only list of nodes; valid for the call that received it.
class RoutingNodes {
 public:
  RoutingNodes(const disaggd_routing_node* const* nodes, std::size_t count) noexcept
      : nodes_(nodes), count_(count) {}

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  RoutingNode operator[](std::size_t i) const noexcept { return RoutingNode(*nodes_[i]); }

  /// Speeds to use for weighting: the configured speed where set, else the mean of the configured
  /// ones, or 1 for every node when none is configured (the rule routing.h documents). Every
  /// value is finite and > 0 (the mean is computed so that huge speeds cannot overflow it).
  std::vector<double> effective_speeds() const {
    double fallback = 1.0;
    std::size_t configured = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      if ((*this)[i].has_speed()) {
        ++configured;
        // Running mean: stays between the smallest and largest speed, unlike a plain sum.
        fallback = configured == 1 ? (*this)[i].speed()
                                   : fallback + ((*this)[i].speed() - fallback) /
                                                    static_cast<double>(configured);
      }
    }
    std::vector<double> speeds(count_);
    for (std::size_t i = 0; i < count_; ++i) {
      speeds[i] = (*this)[i].has_speed() ? (*this)[i].speed() : fallback;
    }
    return speeds;
  }

 private:
  const disaggd_routing_node* const* nodes_;
  std::size_t count_;
};

/// Read-only view of the request being routed.
class RoutingRequest {
 public:
  explicit RoutingRequest(const disaggd_routing_request& request) noexcept : request_(&request) {}
  std::string_view request_id() const noexcept { return to_string_view(request_->request_id); }
  std::string_view model() const noexcept { return to_string_view(request_->model); }
  disaggd_node_role role() const noexcept { return static_cast<disaggd_node_role>(request_->role); }
  std::uint64_t prompt_tokens() const noexcept { return request_->prompt_tokens; }

 private:
  const disaggd_routing_request* request_;
};

/// Read-only view of a finished request's outcome.
class RoutingOutcome {
 public:
  explicit RoutingOutcome(const disaggd_routing_outcome& outcome) noexcept : outcome_(&outcome) {}
  std::string_view node_id() const noexcept { return to_string_view(outcome_->node_id); }
  std::string_view request_id() const noexcept { return to_string_view(outcome_->request_id); }
  double latency_ms() const noexcept { return outcome_->latency_ms; }
  bool ok() const noexcept { return outcome_->ok != 0; }

 private:
  const disaggd_routing_outcome* outcome_;
};

/// Base class of a routing strategy. Methods are called concurrently from many threads; guard
/// mutable state. Throw `Error` (or any exception) to fail a call.
class RoutingStrategy {
 public:
  virtual ~RoutingStrategy() = default;

  /// Returns the index of the chosen node. `nodes` is never empty (the SDK answers an empty list
  /// with DISAGGD_STATUS_UNAVAILABLE itself).
  virtual std::size_t select(const RoutingRequest& request, const RoutingNodes& nodes) = 0;

  /// Called when a routed request finished. Default: nothing.
  virtual void on_request_done(const RoutingOutcome& /*outcome*/) {}

  /// Called with the whole node table when it changed. Default: nothing.
  virtual void on_nodes_changed(const RoutingNodes& /*nodes*/) {}
};

namespace detail {

/// Fills the C routing vtable with calls into `Strategy`.
template <class Strategy>
struct RoutingAdapter {
  static RoutingStrategy* self(disaggd_routing_instance* instance) noexcept {
    return reinterpret_cast<RoutingStrategy*>(instance);
  }

  static disaggd_status create(const disaggd_option* options, size_t option_count,
                               const disaggd_host_services* host,
                               disaggd_routing_instance** out_instance,
                               disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (out_instance == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "out_instance is null");
      }
      Options parsed(options, option_count);
      std::unique_ptr<RoutingStrategy> strategy = std::make_unique<Strategy>(parsed, Host(host));
      parsed.reject_unknown();
      *out_instance = reinterpret_cast<disaggd_routing_instance*>(strategy.release());
      return DISAGGD_STATUS_OK;
    });
  }

  static void destroy(disaggd_routing_instance* instance) noexcept { delete self(instance); }

  static disaggd_status select(disaggd_routing_instance* instance,
                               const disaggd_routing_request* request,
                               const disaggd_routing_node* const* nodes, size_t node_count,
                               size_t* out_index, disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || request == nullptr || out_index == nullptr ||
          (nodes == nullptr && node_count != 0)) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to select");
      }
      if (node_count == 0) {
        throw Error(DISAGGD_STATUS_UNAVAILABLE, "no candidate nodes");
      }
      const std::size_t chosen =
          self(instance)->select(RoutingRequest(*request), RoutingNodes(nodes, node_count));
      if (chosen >= node_count) {
        throw Error(DISAGGD_STATUS_INTERNAL, "strategy chose node " + std::to_string(chosen) +
                                                 " of " + std::to_string(node_count));
      }
      *out_index = chosen;
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status on_request_done(disaggd_routing_instance* instance,
                                        const disaggd_routing_outcome* outcome,
                                        disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || outcome == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to on_request_done");
      }
      self(instance)->on_request_done(RoutingOutcome(*outcome));
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status on_nodes_changed(disaggd_routing_instance* instance,
                                         const disaggd_routing_node* const* nodes,
                                         size_t node_count, disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || (nodes == nullptr && node_count != 0)) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to on_nodes_changed");
      }
      self(instance)->on_nodes_changed(RoutingNodes(nodes, node_count));
      return DISAGGD_STATUS_OK;
    });
  }

  static const disaggd_routing_vtable* vtable() noexcept {
    static const disaggd_routing_vtable table = {
        sizeof(disaggd_routing_vtable),
        &create,
        &destroy,
        &select,
        &on_request_done,
        &on_nodes_changed,
    };
    return &table;
  }
};

}  // namespace detail

/// The descriptor of a routing plugin implemented by `Strategy` (see DISAGGD_ROUTING_PLUGIN).
template <class Strategy>
const disaggd_plugin_descriptor* routing_descriptor(const char* name, const char* version,
                                                    const char* description) noexcept {
  return make_descriptor<Strategy>(DISAGGD_PLUGIN_KIND_ROUTING, name, version, description,
                                   detail::RoutingAdapter<Strategy>::vtable());
}

}  // namespace disaggd::sdk

/// Exports `StrategyClass` as the routing plugin of this library. Use once per library, at
/// namespace scope; `name`, `version` and `description` are string literals.
#define DISAGGD_ROUTING_PLUGIN(StrategyClass, name, version, description)                 \
  extern "C" DISAGGD_PLUGIN_EXPORT const disaggd_plugin_descriptor* disaggd_plugin_entry( \
      uint32_t /*host_abi_major*/, uint32_t /*host_abi_minor*/) {                         \
    return ::disaggd::sdk::routing_descriptor<StrategyClass>(name, version, description); \
  }                                                                                       \
  static_assert(true, "DISAGGD_ROUTING_PLUGIN is used with a trailing semicolon")

#endif  // DISAGGD_SDK_ROUTING_HPP
