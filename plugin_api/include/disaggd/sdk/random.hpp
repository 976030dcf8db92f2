/// @file disaggd/sdk/random.hpp
/// C++ plugin SDK: a thread-safe random source for strategies, seedable for reproducible tests.
#ifndef DISAGGD_SDK_RANDOM_HPP
#define DISAGGD_SDK_RANDOM_HPP

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

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
  std::size_t argmin(const std::vector<double>& scores) {
    std::vector<std::size_t> best;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (best.empty() || scores[i] < scores[best.front()]) {
        best.assign(1, i);
      } else if (scores[i] == scores[best.front()]) {
        best.push_back(i);
      }
    }
    return best.size() == 1 ? best.front() : best[index(best.size())];
  }

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_RANDOM_HPP
