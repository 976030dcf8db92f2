// RoutingSlot: the proxy's active routing strategy, replaced atomically by a hot swap while
// requests keep routing.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "core/plugins/plugin_options.h"
#include "core/plugins/routing_strategy.h"

namespace disaggd::proxy {

/// One routing strategy instance and the options it was created with.
struct ActiveRouting {
  std::shared_ptr<core::RoutingStrategy> strategy;  ///< Never null.
  core::PluginOptions options;
  uint64_t generation = 0;  ///< 0 for the strategy from the config; +1 per swap.
};

/// Thread-safe. A request takes current() once and routes with that instance until it ends, so a
/// swap never changes the strategy under a request: the old instance (and its library) is
/// destroyed when the last request holding it finishes.
class RoutingSlot {
 public:
  RoutingSlot(std::unique_ptr<core::RoutingStrategy> initial, core::PluginOptions options);

  /// The strategy to route one request with.
  std::shared_ptr<const ActiveRouting> current() const;
  /// Makes `strategy` the active one; returns the generation it got.
  uint64_t replace(std::unique_ptr<core::RoutingStrategy> strategy, core::PluginOptions options);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ActiveRouting> active_;
};

}  // namespace disaggd::proxy
