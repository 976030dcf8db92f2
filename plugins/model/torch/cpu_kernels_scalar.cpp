// Portable versions of the CPU kernels: any architecture, any x86-64. They sum in eight lanes
// like the AVX2 kernels, which keeps rounding errors as small and lets the compiler vectorize.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "cpu_kernels.h"

namespace disaggd::torch_backend::cpu::scalar {
namespace {

constexpr int64_t kLanes = 8;

inline float widen(float v) {
  return v;
}

inline float widen(uint16_t v) {
  return std::bit_cast<float>(static_cast<uint32_t>(v) << 16);
}

/// x · row over k elements.
template <typename W>
float dot(const float* x, const W* row, int64_t k) {
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= k; i += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) {
      lanes[j] += x[i + j] * widen(row[i + j]);
    }
  }
  float sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) +
              ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
  for (; i < k; ++i) {
    sum += x[i] * widen(row[i]);
  }
  return sum;
}

template <typename W>
void stream(const LinearProblem& p, const W* w, int64_t n_begin, int64_t n_end) {
  for (int64_t n = n_begin; n < n_end; ++n) {
    const W* row = w + n * p.w.row_stride;
    const float bias = p.bias != nullptr ? p.bias[n] : 0.0f;
    for (int64_t m = 0; m < p.m; ++m) {
      p.y[m * p.ldy + n] = dot(p.x + m * p.ldx, row, p.k) + bias;
    }
  }
}

}  // namespace

void stream_linear(const LinearProblem& p, int64_t n_begin, int64_t n_end) {
  if (p.w.bf16) {
    stream(p, static_cast<const uint16_t*>(p.w.data), n_begin, n_end);
  } else {
    stream(p, static_cast<const float*>(p.w.data), n_begin, n_end);
  }
}

void bf16_to_f32(const uint16_t* src, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    dst[i] = widen(src[i]);
  }
}

void softmax(float* v, int64_t n, float scale) {
  float max = v[0] * scale;
  for (int64_t i = 0; i < n; ++i) {
    v[i] *= scale;
    max = std::max(max, v[i]);
  }
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = std::exp(v[i] - max);
    sum += v[i];
  }
  for (int64_t i = 0; i < n; ++i) {
    v[i] /= sum;
  }
}

void accumulate_weighted_rows(const float* p, int64_t ldp, int64_t rows, const Weights& v,
                              int64_t n, int64_t d, float* out, int64_t ldo) {
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + r * ldo;
    for (int64_t l = 0; l < n; ++l) {
      const float weight = p[r * ldp + l];
      if (v.bf16) {
        const uint16_t* row = static_cast<const uint16_t*>(v.data) + l * v.row_stride;
        for (int64_t c = 0; c < d; ++c) {
          o[c] += weight * widen(row[c]);
        }
      } else {
        const float* row = static_cast<const float*>(v.data) + l * v.row_stride;
        for (int64_t c = 0; c < d; ++c) {
          o[c] += weight * row[c];
        }
      }
    }
  }
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  }
}

}  // namespace disaggd::torch_backend::cpu::scalar
