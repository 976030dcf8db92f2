// ComputeMode: where the torch backend runs and in which dtypes it keeps weights, computes
// activations and stores the KV cache — what its `dtype` and `device` options choose.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace disaggd::torch_backend {

struct ComputeMode {
  at::Device device = at::Device(at::kCPU);
  /// Our CPU kernels (cpu_linear.h, cpu_attention.h, cpu_ops.h) rather than ATen ops.
  bool cpu_kernels = true;
  at::ScalarType weights = at::kFloat;      ///< Projection weights and the embedding.
  at::ScalarType activations = at::kFloat;  ///< Hidden states, norms, biases, attention math.
  at::ScalarType kv = at::kFloat;           ///< The KV pool.
};

/// The mode for option `dtype` (auto | float32 | bfloat16) on `device`, for a checkpoint whose
/// config says `checkpoint_dtype`:
///   float32  — everything in float32;
///   bfloat16 — weights and KV cache in bfloat16 (half the memory, half the bytes per decode step
///              and per migrated block); with our CPU kernels activations stay float32 (weights
///              are widened in registers, the KV cache is rounded on write and widened on read),
///              with ATen ops (CUDA) they are bfloat16 too;
///   auto     — bfloat16 for bfloat16 checkpoints, float32 for the others (CPU libtorch has no
///              float16 matmul).
/// Option `kernels`: auto (our kernels on the CPU, ATen ops on CUDA) | aten (ATen ops on the CPU
/// too: the reference path, and what CUDA runs, but slow for bfloat16 on CPUs without native
/// bfloat16 matmuls).
/// Throws disaggd::sdk::Error for any other option value.
ComputeMode choose_compute_mode(const std::string& dtype, const std::string& kernels,
                                const std::string& checkpoint_dtype, at::Device device);

}  // namespace disaggd::torch_backend
