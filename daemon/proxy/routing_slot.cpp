// The active routing strategy and its atomic replacement.
#include "proxy/routing_slot.h"

#include <utility>

namespace disaggd::proxy {

RoutingSlot::RoutingSlot(std::unique_ptr<core::RoutingStrategy> initial,
                         core::PluginOptions options)
    : active_(std::make_shared<const ActiveRouting>(
          ActiveRouting{std::move(initial), std::move(options), 0})) {}

std::shared_ptr<const ActiveRouting> RoutingSlot::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return active_;
}

uint64_t RoutingSlot::replace(std::unique_ptr<core::RoutingStrategy> strategy,
                              core::PluginOptions options) {
  std::shared_ptr<const ActiveRouting> old;  // released after the lock, maybe destroying it
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t generation = active_->generation + 1;
  old = std::exchange(active_, std::make_shared<const ActiveRouting>(ActiveRouting{
                                   std::move(strategy), std::move(options), generation}));
  return generation;
}

}  // namespace disaggd::proxy
