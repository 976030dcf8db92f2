/// @file disaggd/sdk/random.hpp
/// C++ plugin SDK: a thread-safe random source for strategies, seedable for reproducible tests.
#ifndef DISAGGD_SDK_RANDOM_HPP
#define DISAGGD_SDK_RANDOM_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

#include "disaggd/sdk/options.hpp"

namespace disaggd::sdk {

/// A 64-bit Mersenne Twister behind a mutex: safe to share between the threads that call a
/// strategy concurrently. Seeded from `seed` when given, else from std::random_device.
class Random {
 public:
  explicit Random(std::optional<std::uint64_t> seed = std::nullopt)
      : engine_(seed ? *seed
                     : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

  /// Uniform integer in [0, n). `n` must be at least 1.
  std::size_t index(std::size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(engine_);
  }

  /// Uniform real in [0, 1).
  double unit() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
  }

  /// Index of the smallest score; ties are broken uniformly at random. `scores` must not be empty.
  /// NaN ranks above every number (it never wins against one); if every score is NaN, each index
  /// is equally likely. Infinities compare as usual.
  std::size_t argmin(const std::vector<double>& scores) {
    std::vector<std::size_t> best;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (std::isnan(scores[i])) {
        continue;
      }
      if (best.empty() || scores[i] < scores[best.front()]) {
        best.assign(1, i);
      } else if (scores[i] == scores[best.front()]) {
        best.push_back(i);
      }
    }
    if (best.empty()) {
      return index(scores.size());
    }
    return best.size() == 1 ? best.front() : best[index(best.size())];
  }

  /// Index `i` with probability weights[i] / (sum of weights). A weight that is not finite or not
  /// positive counts as 0; when no weight is positive, every index is equally likely. Never
  /// overflows, however large the weights. `weights` must not be empty.
  std::size_t weighted_index(const std::vector<double>& weights) {
    double largest = 0.0;
    for (const double weight : weights) {
      if (usable_weight(weight) && weight > largest) {
        largest = weight;
      }
    }
    if (largest == 0.0) {
      return index(weights.size());
    }
    // Relative to the largest weight, so the running sum stays at most weights.size().
    double total = 0.0;
    for (const double weight : weights) {
      total += usable_weight(weight) ? weight / largest : 0.0;
    }
    const double target = unit() * total;
    double cumulative = 0.0;
    std::size_t last_positive = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (!usable_weight(weights[i]) || weights[i] / largest == 0.0) {
        continue;
      }
      cumulative += weights[i] / largest;
      last_positive = i;
      if (target < cumulative) {
        return i;
      }
    }
    return last_positive;  // Only reached when rounding put `target` at the very end.
  }

 private:
  static bool usable_weight(double weight) { return std::isfinite(weight) && weight > 0.0; }

  std::mutex mutex_;
  std::mt19937_64 engine_;
};

/// Reads the `seed` option every randomised strategy offers: an integer >= 0 makes the choices
/// reproducible; without it the seed comes from std::random_device. Throws `Error` like the other
/// getters of `Options`.
inline std::optional<std::uint64_t> seed_option(Options& options) {
  if (!options.has("seed")) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(
      options.get_int("seed", 0, 0, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_RANDOM_HPP
