// Timing of sim forward calls (see step_time.h).
#include "step_time.h"

#include <algorithm>
#include <thread>

namespace disaggd::sim_backend {
namespace {

/// The last stretch before a deadline that is spun instead of slept: more than Linux's default
/// timer slack (50 us) plus the usual wake-up latency.
constexpr std::chrono::microseconds kSpin(200);

}  // namespace

std::chrono::nanoseconds StepCost::of(const disaggd_forward_sequence* sequences,
                                      std::size_t count) const {
  double prefill_tokens = 0.0;
  double decode_sequences = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    if (sequences[i].token_count == 1 && sequences[i].start_position > 0) {
      decode_sequences += 1.0;
    } else {
      prefill_tokens += sequences[i].token_count;
    }
  }
  double us = prefill_us_per_token * prefill_tokens;
  if (decode_sequences > 0.0) {
    us += decode_us_per_step + decode_us_per_sequence * decode_sequences;
  }
  constexpr double kLongest = 1e18;  // ns, about 31 years: keeps the conversion in range
  return std::chrono::nanoseconds(static_cast<int64_t>(std::min(us * 1000.0, kLongest)));
}

void wait_until(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return;
    }
    if (deadline - now > kSpin) {
      std::this_thread::sleep_for(deadline - now - kSpin);
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace disaggd::sim_backend
