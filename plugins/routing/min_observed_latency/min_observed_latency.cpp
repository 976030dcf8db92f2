// Routing strategy `min_observed_latency`: picks the node whose recent requests finished fastest.
//
// Score of a node: the mean of its newest `window` latencies as the proxy measured them; the
// smallest wins, ties broken uniformly at random. A node with no latency yet (just joined) is
// tried before every measured node, uniformly at random among such nodes: LMDeploy scores it as
// infinitely slow, so a node added to a busy cluster would never get a request and never get a
// latency. Entries that are NaN, infinite or negative are not measurements and are skipped; a node
// with nothing else counts as having no latency yet. Stateless apart from the self-locking random
// source.
//
// Options: seed (integer >= 0; unset = seeded from std::random_device),
//          window (integer 1..1024, default 16: how many newest latencies the mean covers).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "disaggd/sdk/random.hpp"
#include "disaggd/sdk/routing.hpp"

namespace {

constexpr std::int64_t kDefaultWindow = 16;
constexpr std::int64_t kMaxWindow = 1024;

class MinObservedLatencyStrategy final : public disaggd::sdk::RoutingStrategy {
 public:
  MinObservedLatencyStrategy(disaggd::sdk::Options& options, disaggd::sdk::Host /*host*/)
      : window_(static_cast<std::size_t>(options.get_int("window", kDefaultWindow, 1, kMaxWindow))),
        random_(disaggd::sdk::seed_option(options)) {}

  std::size_t select(const disaggd::sdk::RoutingRequest& /*request*/,
                     const disaggd::sdk::RoutingNodes& nodes) override {
    std::vector<double> scores(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const std::optional<double> mean = nodes[i].mean_recent_latency_ms(window_);
      // -infinity puts unmeasured nodes ahead of every measured one, tied among themselves.
      scores[i] = mean ? *mean : -std::numeric_limits<double>::infinity();
    }
    return random_.argmin(scores);
  }

 private:
  const std::size_t window_;
  disaggd::sdk::Random random_;
};

}  // namespace

DISAGGD_ROUTING_PLUGIN(MinObservedLatencyStrategy, "min_observed_latency", "0.1.0",
                       "Node with the lowest mean recent latency; new nodes first");
