// Plain-pointer CPU kernels behind cpu_linear, cpu_attention and cpu_ops: y = x · Wᵀ + b with
// float32 activations and float32 or bfloat16 weights, bfloat16 → float32 widening, softmax,
// probability-weighted sums of rows, silu(gate) · up. Each comes as a portable scalar version and
// an AVX2 + FMA version (x86-64 only), chosen at run time; no ATen in here.
#pragma once

#include <cstdint>

namespace disaggd::torch_backend::cpu {

/// The instruction sets the kernels come in.
enum class Isa { kScalar, kAvx2 };

/// Whether this CPU (and its OS) runs `isa`'s kernels, and whether they are compiled in.
bool supports(Isa isa);

/// The fastest instruction set supports() allows; detected once.
Isa best_isa();

/// "scalar" or "avx2".
const char* isa_name(Isa isa);

/// Weights W [N, K], row-major as Hugging Face stores them: float32, or bfloat16 (the upper 16
/// bits of a float32, as uint16_t).
struct Weights {
  const void* data = nullptr;
  bool bf16 = false;
  int64_t row_stride = 0;  ///< Elements from one row of W to the next (>= K).
};

/// One problem y [M, N] = x [M, K] · Wᵀ + bias.
struct LinearProblem {
  const float* x = nullptr;
  int64_t ldx = 0;  ///< Floats from one row of x to the next (>= K).
  int64_t m = 0;
  int64_t k = 0;
  Weights w;
  const float* bias = nullptr;  ///< [N], or nullptr for none.
  float* y = nullptr;
  int64_t ldy = 0;  ///< Floats from one row of y to the next (>= N).
};

/// Computes the outputs y[:, n] for n in [n_begin, n_end), reading each of those rows of W from
/// memory once for all M rows of x (the bandwidth-bound decode case, M up to a few rows).
void stream_linear(Isa isa, const LinearProblem& p, int64_t n_begin, int64_t n_end);

/// dst[i] = src[i] widened from bfloat16 to float32 (exact), for i < count.
void bf16_to_f32(Isa isa, const uint16_t* src, float* dst, int64_t count);

/// In place on v[0, n), n >= 1: v = softmax(v * scale), as transformers computes it in float32
/// (scale, subtract the maximum, exponentiate, divide by the sum).
void softmax(Isa isa, float* v, int64_t n, float scale);

/// out[r, c] += Σ_{l < n} p[r * ldp + l] · V[l, c] for r < rows, c < d: attention probabilities
/// times value rows (V as Weights: float32 or bfloat16, row_stride between rows).
void accumulate_weighted_rows(Isa isa, const float* p, int64_t ldp, int64_t rows, const Weights& v,
                              int64_t n, int64_t d, float* out, int64_t ldo);

/// out[i] = silu(gate[i]) · up[i] = gate[i] / (1 + exp(-gate[i])) · up[i], for i < n.
void silu_mul(Isa isa, const float* gate, const float* up, float* out, int64_t n);

/// The implementations behind the dispatching functions above.
namespace scalar {
void stream_linear(const LinearProblem& p, int64_t n_begin, int64_t n_end);
void bf16_to_f32(const uint16_t* src, float* dst, int64_t count);
void softmax(float* v, int64_t n, float scale);
void accumulate_weighted_rows(const float* p, int64_t ldp, int64_t rows, const Weights& v,
                              int64_t n, int64_t d, float* out, int64_t ldo);
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
}  // namespace scalar

namespace avx2 {
void stream_linear(const LinearProblem& p, int64_t n_begin, int64_t n_end);
void bf16_to_f32(const uint16_t* src, float* dst, int64_t count);
void softmax(float* v, int64_t n, float scale);
void accumulate_weighted_rows(const float* p, int64_t ldp, int64_t rows, const Weights& v,
                              int64_t n, int64_t d, float* out, int64_t ldo);
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
}  // namespace avx2

}  // namespace disaggd::torch_backend::cpu
