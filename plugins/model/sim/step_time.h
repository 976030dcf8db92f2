// How long a sim forward call takes: a configured cost per prompt token and per decode step, and
// a wait that holds the call until then.
#pragma once

#include <chrono>
#include <cstddef>

#include "disaggd/model.h"

namespace disaggd::sim_backend {

/// The configured cost of a forward call, in microseconds.
struct StepCost {
  double prefill_us_per_token = 0.0;    ///< Per token of every prefill slice.
  double decode_us_per_step = 0.0;      ///< Once per call that has any decode slice.
  double decode_us_per_sequence = 0.0;  ///< Per decode slice.

  /// The duration of a call over `sequences`. A decode slice is one token at a position > 0;
  /// every other slice (a prompt, a prompt chunk, a one-token prompt) counts as prefill.
  std::chrono::nanoseconds of(const disaggd_forward_sequence* sequences, std::size_t count) const;
};

/// Returns at `deadline` or just after: sleeps until shortly before it, then spins (yielding the
/// core) for the last stretch, because a sleep alone overshoots by tens of microseconds.
void wait_until(std::chrono::steady_clock::time_point deadline);

}  // namespace disaggd::sim_backend
