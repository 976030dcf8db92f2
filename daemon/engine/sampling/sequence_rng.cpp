// Seeding of SequenceRng.
#include "engine/sampling/sequence_rng.h"

#include <atomic>
#include <chrono>
#include <exception>

namespace disaggd::engine {
namespace {

/// A seed that differs between calls and processes. std::random_device may throw where no
/// entropy source exists; the clock and a process-wide counter stand in then.
uint64_t random_seed() {
  try {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ static_cast<uint64_t>(device());
  } catch (const std::exception&) {
    static std::atomic<uint64_t> counter{0};
    const auto now =
        static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
    return now ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull);
  }
}

}  // namespace

SequenceRng::SequenceRng(std::optional<uint64_t> seed)
    : engine_(seed.has_value() ? *seed : random_seed()) {}

}  // namespace disaggd::engine
