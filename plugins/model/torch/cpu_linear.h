// cpu_linear: y = x · Wᵀ + b on the CPU for float32 activations and float32 or bfloat16 weights —
// every projection of the model when the backend runs on the CPU, where libtorch's own bf16
// matmul is slow and its float32 matrix-vector product reads weights well below DRAM speed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "cpu_kernels.h"

namespace disaggd::torch_backend {

/// How cpu_linear splits its work; the defaults are tuned on an AVX2 (Zen 3) core.
struct CpuLinearConfig {
  cpu::Isa isa = cpu::best_isa();
  /// Up to this many rows of x (decode batches), a kernel of ours streams W once for all of them:
  /// memory bound at a few rows, and up to about 64 rows at least as fast as OpenBLAS (Zen 3),
  /// whose packing of W does not pay off for so few rows. With more rows (prefill), float32 weights
  /// go to at::linear (OpenBLAS) and bfloat16 weights are widened block by block into a float32
  /// buffer that at::mm multiplies.
  int64_t stream_max_rows = 64;
  /// About this many bytes of float32 weights per block: small enough to stay in cache between
  /// the widening and the matmul, large enough that OpenBLAS re-packing x per block costs little.
  int64_t block_bytes = int64_t{2} << 20;
};

/// y [M, N] = x [M, K] · weightᵀ + bias. x: float32 on the CPU with contiguous rows; weight:
/// [N, K] float32 or bfloat16 with contiguous rows; bias: [N] float32, or undefined. Runs on
/// at::get_num_threads() threads. Throws c10::Error on other inputs.
at::Tensor cpu_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      const CpuLinearConfig& config = {});

}  // namespace disaggd::torch_backend
