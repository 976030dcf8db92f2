// Routing strategy `min_expected_latency`: picks the node where this request would wait least.
//
// Score of a node: (in_flight + 1) / effective speed, the expected time until this request is
// done if it joins the node's queue; the smallest score wins and ties are broken uniformly at
// random. Effective speed is the configured speed when finite and > 0, else the mean of the
// configured speeds (1 when none is configured). Counting the request itself (+1) differs from
// LMDeploy's in_flight / speed: on an idle cluster every LMDeploy score is 0 and speed is ignored,
// whereas here the faster node wins. Stateless apart from the self-locking random source.
//
// Options: seed (integer >= 0; unset = seeded from std::random_device).
#include <cstddef>
#include <vector>

#include "disaggd/sdk/random.hpp"
#include "disaggd/sdk/routing.hpp"

namespace {

class MinExpectedLatencyStrategy final : public disaggd::sdk::RoutingStrategy {
 public:
  MinExpectedLatencyStrategy(disaggd::sdk::Options& options, disaggd::sdk::Host /*host*/)
      : random_(disaggd::sdk::seed_option(options)) {}

  std::size_t select(const disaggd::sdk::RoutingRequest& /*request*/,
                     const disaggd::sdk::RoutingNodes& nodes) override {
    const std::vector<double> speeds = nodes.effective_speeds();
    std::vector<double> expected(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      expected[i] = (static_cast<double>(nodes[i].in_flight()) + 1.0) / speeds[i];
    }
    return random_.argmin(expected);
  }

 private:
  disaggd::sdk::Random random_;
};

}  // namespace

DISAGGD_ROUTING_PLUGIN(MinExpectedLatencyStrategy, "min_expected_latency", "0.1.0",
                       "Node with the least (in_flight + 1) / speed");
