// Example third-party routing plugin: hands requests to the candidate nodes in turn. Written
// against the disaggd plugin SDK only; see docs/plugins.md.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "disaggd/sdk/routing.hpp"

namespace {

class RoundRobin final : public disaggd::sdk::RoutingStrategy {
 public:
  // Options come from `routing_options` in the proxy's YAML (or the admin endpoint). Every key
  // this constructor does not ask for is rejected by the SDK with a "did you mean" hint.
  RoundRobin(disaggd::sdk::Options& options, disaggd::sdk::Host host)
      : next_(static_cast<std::uint64_t>(options.get_int("start", 0, 0, 1 << 30))) {
    host.info("round_robin starting at " + std::to_string(next_.load()));
  }

  // Called from many threads at once: an atomic counter is all the state there is.
  std::size_t select(const disaggd::sdk::RoutingRequest& /*request*/,
                     const disaggd::sdk::RoutingNodes& nodes) override {
    return static_cast<std::size_t>(next_.fetch_add(1, std::memory_order_relaxed) % nodes.size());
  }

 private:
  std::atomic<std::uint64_t> next_;
};

}  // namespace

DISAGGD_ROUTING_PLUGIN(RoundRobin, "round_robin", "1.0.0",
                       "Example: sends requests to the candidate nodes in turn");
