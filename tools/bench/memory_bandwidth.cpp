// disaggd-memory-bandwidth: this machine's DRAM read bandwidth, the ceiling of batch-1 decode.
//
//   disaggd-memory-bandwidth [--threads N] [--mib 2048] [--repeat 5]
//
// Sums a buffer much larger than the caches with N threads (each its own slice), in several read
// patterns (sequential; with software prefetch at several distances; eight long streams side by
// side as the backend's matrix-vector kernel reads weights; with AVX2 loads where the CPU has
// them), and prints the best of --repeat runs of each and, as "bound_gb_per_s", the fastest: the
// read bandwidth a decode step can hope for.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

constexpr std::size_t kLineWords = 64 / sizeof(uint64_t);

/// One pass over [data, data + count): four independent accumulators so the loop is bound by
/// loads, not by the add chain; the hardware prefetcher alone brings the lines in.
uint64_t sum_sequential(const uint64_t* data, std::size_t count) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    a += data[i];
    b += data[i + 1];
    c += data[i + 2];
    d += data[i + 3];
  }
  for (; i < count; ++i) {
    a += data[i];
  }
  return a + b + c + d;
}

/// One pass with each line prefetched `ahead` bytes early, so that reads continue across page
/// boundaries, where the hardware prefetcher stops.
uint64_t sum_prefetched(const uint64_t* data, std::size_t count, std::size_t ahead) {
  const std::size_t lines = count / kLineWords;
  const std::size_t distance = ahead / sizeof(uint64_t);
  uint64_t a = 0, b = 0;
  for (std::size_t line = 0; line < lines; ++line) {
    const uint64_t* p = data + line * kLineWords;
    __builtin_prefetch(p + distance);
    a += p[0] + p[1] + p[2] + p[3];
    b += p[4] + p[5] + p[6] + p[7];
  }
  return a + b + sum_sequential(data + lines * kLineWords, count - lines * kLineWords);
}

/// Blocks of 8 MiB (the size of a fused projection matrix of a 0.6B model), each cut into eight
/// consecutive parts read side by side, a line of each in turn: eight long sequential streams, as
/// the backend's matrix-vector kernel reads weights for one to four rows of activations.
constexpr std::size_t kStreams = 8;
constexpr std::size_t kBlockWords = (std::size_t{8} << 20) / sizeof(uint64_t);

uint64_t sum_streams(const uint64_t* data, std::size_t count) {
  constexpr std::size_t kPart = kBlockWords / kStreams;
  uint64_t acc[kStreams] = {};
  std::size_t done = 0;
  for (; done + kBlockWords <= count; done += kBlockWords) {
    for (std::size_t w = 0; w < kPart; w += kLineWords) {
      for (std::size_t s = 0; s < kStreams; ++s) {
        const uint64_t* p = data + done + s * kPart + w;
        acc[s] += p[0] + p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7];
      }
    }
  }
  uint64_t total = sum_sequential(data + done, count - done);
  for (uint64_t a : acc) {
    total += a;
  }
  return total;
}

#if defined(__x86_64__)
/// One pass with 32-byte AVX2 loads (fewer load instructions per line), each line prefetched
/// `ahead` bytes early when `ahead` is not 0. Only called on CPUs with AVX2.
__attribute__((target("avx2"))) uint64_t sum_avx2(const uint64_t* data, std::size_t count,
                                                  std::size_t ahead) {
  const std::size_t lines = count / kLineWords;
  const std::size_t distance = ahead / sizeof(uint64_t);
  __m256i a = _mm256_setzero_si256();
  __m256i b = _mm256_setzero_si256();
  for (std::size_t line = 0; line < lines; ++line) {
    const uint64_t* p = data + line * kLineWords;
    if (distance != 0) {
      _mm_prefetch(reinterpret_cast<const char*>(p + distance), _MM_HINT_T0);
    }
    a = _mm256_add_epi64(a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    b = _mm256_add_epi64(b, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 4)));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi64(a, b));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] +
         sum_sequential(data + lines * kLineWords, count - lines * kLineWords);
}

/// sum_streams with AVX2 loads.
__attribute__((target("avx2"))) uint64_t sum_streams_avx2(const uint64_t* data, std::size_t count) {
  constexpr std::size_t kPart = kBlockWords / kStreams;
  __m256i acc[kStreams];
  for (__m256i& a : acc) {
    a = _mm256_setzero_si256();
  }
  std::size_t done = 0;
  for (; done + kBlockWords <= count; done += kBlockWords) {
    for (std::size_t w = 0; w < kPart; w += kLineWords) {
      for (std::size_t s = 0; s < kStreams; ++s) {
        const uint64_t* p = data + done + s * kPart + w;
        acc[s] = _mm256_add_epi64(acc[s], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        acc[s] =
            _mm256_add_epi64(acc[s], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 4)));
      }
    }
  }
  uint64_t total = sum_sequential(data + done, count - done);
  for (const __m256i& a : acc) {
    alignas(32) uint64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a);
    total += lanes[0] + lanes[1] + lanes[2] + lanes[3];
  }
  return total;
}
#endif

/// The read patterns measured; the bound is the fastest.
struct Pattern {
  const char* name;
  uint64_t (*sum)(const uint64_t*, std::size_t);
};

const Pattern kPatterns[] = {
    {"sequential", sum_sequential},
    {"prefetch_32k",
     [](const uint64_t* d, std::size_t n) { return sum_prefetched(d, n, 32 << 10); }},
    {"streams8", sum_streams},
#if defined(__x86_64__)
    {"avx2", [](const uint64_t* d, std::size_t n) { return sum_avx2(d, n, 0); }},
    {"avx2_prefetch_32k",
     [](const uint64_t* d, std::size_t n) { return sum_avx2(d, n, 32 << 10); }},
    {"avx2_streams8", sum_streams_avx2},
#endif
};

/// Whether this CPU can run `pattern`.
bool runs_here(const Pattern& pattern) {
#if defined(__x86_64__)
  if (std::strncmp(pattern.name, "avx2", 4) == 0) {
    return __builtin_cpu_supports("avx2");
  }
#endif
  return pattern.sum != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  std::size_t mib = 2048;
  int repeat = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") {
      threads = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--mib") {
      mib = static_cast<std::size_t>(std::max(64, std::atoi(argv[i + 1])));
    } else if (flag == "--repeat") {
      repeat = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr,
                   "usage: disaggd-memory-bandwidth [--threads N] [--mib M] [--repeat R]\n");
      return 64;
    }
  }
  const std::size_t count = mib * 1024 * 1024 / sizeof(uint64_t);
  std::vector<uint64_t> buffer(count);
  for (std::size_t i = 0; i < count; ++i) {
    buffer[i] = i;  // touch every page so no run pays for page faults
  }
  volatile uint64_t sink = 0;
  double bound = 0.0;
  for (const Pattern& pattern : kPatterns) {
    if (!runs_here(pattern)) {
      continue;
    }
    std::vector<double> rates;
    for (int r = 0; r < repeat; ++r) {
      std::vector<uint64_t> sums(static_cast<std::size_t>(threads));
      std::vector<std::thread> workers;
      const std::size_t slice = count / static_cast<std::size_t>(threads);
      const auto start = std::chrono::steady_clock::now();
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          const std::size_t first = slice * static_cast<std::size_t>(t);
          const std::size_t n = t + 1 == threads ? count - first : slice;
          sums[static_cast<std::size_t>(t)] = pattern.sum(buffer.data() + first, n);
        });
      }
      for (std::thread& worker : workers) {
        worker.join();
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (uint64_t s : sums) {
        sink = sink + s;
      }
      rates.push_back(static_cast<double>(count * sizeof(uint64_t)) / seconds);
    }
    std::sort(rates.begin(), rates.end());
    // The best run: a bound is what the memory system can do, and this VM's bandwidth drifts.
    const double best = rates.back();
    bound = std::max(bound, best);
    std::printf("memory_read threads=%d mib=%zu pattern=%s gb_per_s=%.2f\n", threads, mib,
                pattern.name, best / 1e9);
  }
  std::printf("memory_read threads=%d bound_gb_per_s=%.2f\n", threads, bound / 1e9);
  return sink == 42 ? 1 : 0;  // uses the sums so the reads cannot be optimised away
}
