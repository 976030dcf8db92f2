// The kernels, on 16-byte vectors (SSE2 on x86-64, NEON on Arm) with a scalar tail; exp_sum()
// also on 32-byte vectors where the CPU has AVX2 and FMA.
#include "engine/sampling/logit_kernels.h"

#include <cstdint>
#include <cstring>
#include <limits>

// Every helper taking or returning a 32-byte vector is always inlined, also at -O0, and bit casts
// use the builtin rather than std::bit_cast (an out-of-line call without AVX would pass such a
// vector differently from the AVX2 caller). GCC's note that the ABI changes then does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace disaggd::engine {
namespace {

/// Vector types of N floats, N ints and N/2 doubles (GCC ignores vector_size on a dependent
/// type, so each width is spelled out).
template <int N>
struct Vector;

template <>
struct Vector<4> {
  using F = float __attribute__((vector_size(16)));
  using I = int32_t __attribute__((vector_size(16)));
  using D = double __attribute__((vector_size(16)));
};

template <>
struct Vector<8> {
  using F = float __attribute__((vector_size(32)));
  using I = int32_t __attribute__((vector_size(32)));
  using D = double __attribute__((vector_size(32)));
};

using Float4 = Vector<4>::F;

constexpr std::size_t kLanes = 4;
constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr float kLargest = std::numeric_limits<float>::max();

template <class V>
[[gnu::always_inline]] inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <class V>
[[gnu::always_inline]] inline void store(float* p, const V& v) {
  std::memcpy(p, &v, sizeof(v));
}

template <class V>
[[gnu::always_inline]] inline V splat(float x) {
  return V{} + x;
}

float horizontal_max(Float4 v) {
  float m = v[0];
  for (std::size_t lane = 1; lane < kLanes; ++lane) {
    m = v[lane] > m ? v[lane] : m;
  }
  return m;
}

/// Cephes' expf: e^x = 2^n * e^r with n = round(x / ln 2) and |r| <= ln(2) / 2, e^r by a degree-6
/// polynomial, 2^n added to the exponent bits. Lanes below -87 give 0 (2^n would be subnormal).
/// In place, as store() takes a reference: GCC prints an ABI note for a 32-byte vector parameter.
template <int N>
[[gnu::always_inline]] inline void exp_vector(typename Vector<N>::F& x) {
  using F = typename Vector<N>::F;
  using I = typename Vector<N>::I;
  const I underflow = x < -87.0f;
  x = x > 88.0f ? splat<F>(88.0f) : x;
  x = underflow ? splat<F>(-87.0f) : x;
  // Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
  constexpr float kRoundingBias = 12582912.0f;
  const F biased = x * 1.44269504088896341f + kRoundingBias;
  const F n = biased - kRoundingBias;
  F r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  F p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const I exponent = (__builtin_bit_cast(I, biased) - 0x4B400000) << 23;
  const I bits = __builtin_bit_cast(I, p) + exponent;
  x = __builtin_bit_cast(F, bits & ~underflow);
}

/// exp_sum() on N lanes, with a scalar tail.
template <int N>
[[gnu::always_inline]] inline double exp_sum_lanes(std::span<const float> logits, float shift,
                                                   float scale, std::span<float> weights,
                                                   float floor) {
  using F = typename Vector<N>::F;
  using D = typename Vector<N>::D;
  const bool store_weights = !weights.empty();
  D low{};
  D high{};
  std::size_t i = 0;
  for (; i + N <= logits.size(); i += N) {
    F w = (load<F>(&logits[i]) - shift) * scale;
    exp_vector<N>(w);
    w = w < floor ? splat<F>(0.0f) : w;
    if (store_weights) {
      store(&weights[i], w);
    }
    if constexpr (N == 4) {
      low += __builtin_convertvector(__builtin_shufflevector(w, w, 0, 1), D);
      high += __builtin_convertvector(__builtin_shufflevector(w, w, 2, 3), D);
    } else {
      low += __builtin_convertvector(__builtin_shufflevector(w, w, 0, 1, 2, 3), D);
      high += __builtin_convertvector(__builtin_shufflevector(w, w, 4, 5, 6, 7), D);
    }
  }
  const D both = low + high;
  double sum = 0;
  for (int lane = 0; lane < N / 2; ++lane) {
    sum += both[lane];
  }
  for (; i < logits.size(); ++i) {
    float w = fast_exp((logits[i] - shift) * scale);
    w = w < floor ? 0.0f : w;
    if (store_weights) {
      weights[i] = w;
    }
    sum += static_cast<double>(w);
  }
  return sum;
}

#if defined(__x86_64__)
/// Eight lanes with AVX2 and FMA, about three times the speed of SSE2.
[[gnu::target("avx2,fma")]] double exp_sum_avx2(std::span<const float> logits, float shift,
                                                float scale, std::span<float> weights,
                                                float floor) {
  return exp_sum_lanes<8>(logits, shift, scale, weights, floor);
}

bool has_avx2() {
  static const bool result = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return result;
}
#endif

}  // namespace

float sanitize_logits(std::span<float> logits) {
  Float4 largest = splat<Float4>(-kInfinity);
  std::size_t i = 0;
  for (; i + kLanes <= logits.size(); i += kLanes) {
    Float4 x = load<Float4>(&logits[i]);
    x = x != x ? splat<Float4>(-kInfinity) : x;  // NaN
    x = x == kInfinity ? splat<Float4>(kLargest) : x;
    store(&logits[i], x);
    largest = x > largest ? x : largest;
  }
  float result = horizontal_max(largest);
  for (; i < logits.size(); ++i) {
    float& x = logits[i];
    if (x != x) {
      x = -kInfinity;
    } else if (x == kInfinity) {
      x = kLargest;
    }
    result = x > result ? x : result;
  }
  return result;
}

float max_logit(std::span<const float> logits) {
  Float4 largest = splat<Float4>(-kInfinity);
  std::size_t i = 0;
  for (; i + kLanes <= logits.size(); i += kLanes) {
    const Float4 x = load<Float4>(&logits[i]);
    largest = x > largest ? x : largest;
  }
  float result = horizontal_max(largest);
  for (; i < logits.size(); ++i) {
    result = logits[i] > result ? logits[i] : result;
  }
  return result;
}

std::size_t argmax_logit(std::span<const float> logits) {
  const float largest = max_logit(logits);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] == largest) {
      return i;
    }
  }
  return 0;
}

float fast_exp(float x) {
  Float4 v = splat<Float4>(x);
  exp_vector<4>(v);
  return v[0];
}

double exp_sum(std::span<const float> logits, float shift, float scale, std::span<float> weights,
               float floor) {
#if defined(__x86_64__)
  if (has_avx2()) {
    return exp_sum_avx2(logits, shift, scale, weights, floor);
  }
#endif
  return exp_sum_lanes<4>(logits, shift, scale, weights, floor);
}

double exp_sum_portable(std::span<const float> logits, float shift, float scale,
                        std::span<float> weights, float floor) {
  return exp_sum_lanes<4>(logits, shift, scale, weights, floor);
}

}  // namespace disaggd::engine
