// SequenceRng: the random generator of one sequence, reproducible from the request's seed.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace disaggd::engine {

/// A std::mt19937_64 owned by one sequence. With a seed, the stream of numbers depends on the seed
/// only (the same on every platform and standard library), so the same seed and the same logits
/// give the same tokens. Without one it is seeded from std::random_device (or, where that is
/// unavailable, from the clock and a counter).
class SequenceRng {
 public:
  /// Seeds from `seed`, or randomly when it is empty.
  explicit SequenceRng(std::optional<uint64_t> seed);

  /// The next 64 random bits.
  uint64_t next_u64() { return engine_(); }

  /// A uniform double in [0, 1) from the next 64 bits (their top 53), computed without
  /// std::uniform_real_distribution, whose results differ between standard libraries.
  double next_uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace disaggd::engine
