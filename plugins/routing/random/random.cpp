// Routing strategy `random`: picks a node at random, weighted by its effective speed.
//
// A node's chance is its effective speed divided by the sum over all candidates: the configured
// speed when it is finite and > 0, else the mean of the configured speeds (1 when none is
// configured), so unconfigured nodes count as average ones and zero, negative or NaN speeds never
// divide by zero. Stateless apart from the random source, which locks itself, so concurrent
// select() calls are safe.
//
// Options: seed (integer >= 0; unset = seeded from std::random_device).
#include <cstddef>

#include "disaggd/sdk/random.hpp"
#include "disaggd/sdk/routing.hpp"

namespace {

class RandomStrategy final : public disaggd::sdk::RoutingStrategy {
 public:
  RandomStrategy(disaggd::sdk::Options& options, disaggd::sdk::Host /*host*/)
      : random_(disaggd::sdk::seed_option(options)) {}

  std::size_t select(const disaggd::sdk::RoutingRequest& /*request*/,
                     const disaggd::sdk::RoutingNodes& nodes) override {
    return random_.weighted_index(nodes.effective_speeds());
  }

 private:
  disaggd::sdk::Random random_;
};

}  // namespace

DISAGGD_ROUTING_PLUGIN(RandomStrategy, "random", "0.1.0",
                       "Random node, weighted by configured speed");
