// Run-time choice between the scalar and AVX2 kernels.
#include "cpu_kernels.h"

namespace disaggd::torch_backend::cpu {

bool supports(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
#if defined(DISAGGD_TORCH_HAVE_AVX2)
      // GCC and Clang's check also asks the OS (XGETBV) whether it saves the ymm registers.
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
  }
  return false;
}

Isa best_isa() {
  static const Isa best = supports(Isa::kAvx2) ? Isa::kAvx2 : Isa::kScalar;
  return best;
}

const char* isa_name(Isa isa) {
  return isa == Isa::kAvx2 ? "avx2" : "scalar";
}

// Calls avx2::name(args) when isa is kAvx2 (and compiled in), scalar::name(args) otherwise.
#if defined(DISAGGD_TORCH_HAVE_AVX2)
#define DISAGGD_DISPATCH(isa, name, ...) \
  ((isa) == Isa::kAvx2 ? avx2::name(__VA_ARGS__) : scalar::name(__VA_ARGS__))
#else
#define DISAGGD_DISPATCH(isa, name, ...) (static_cast<void>(isa), scalar::name(__VA_ARGS__))
#endif

void stream_linear(Isa isa, const LinearProblem& p, int64_t n_begin, int64_t n_end) {
  DISAGGD_DISPATCH(isa, stream_linear, p, n_begin, n_end);
}

void bf16_to_f32(Isa isa, const uint16_t* src, float* dst, int64_t count) {
  DISAGGD_DISPATCH(isa, bf16_to_f32, src, dst, count);
}

void softmax(Isa isa, float* v, int64_t n, float scale) {
  DISAGGD_DISPATCH(isa, softmax, v, n, scale);
}

void accumulate_weighted_rows(Isa isa, const float* p, int64_t ldp, int64_t rows, const Weights& v,
                              int64_t n, int64_t d, float* out, int64_t ldo) {
  DISAGGD_DISPATCH(isa, accumulate_weighted_rows, p, ldp, rows, v, n, d, out, ldo);
}

void silu_mul(Isa isa, const float* gate, const float* up, float* out, int64_t n) {
  DISAGGD_DISPATCH(isa, silu_mul, gate, up, out, n);
}

#undef DISAGGD_DISPATCH

}  // namespace disaggd::torch_backend::cpu
