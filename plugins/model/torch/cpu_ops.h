// Fused float32 CPU versions of the small per-token steps of the forward pass — RMSNorm, q/k
// norms with rotary embeddings, silu(gate) · up — one loop each instead of a chain of ATen ops
// (whose fixed cost per op adds up over the layers of a decode step), with transformers'
// semantics: LlamaRMSNorm, apply_rotary_pos_emb (rotate_half), LlamaMLP's act_fn(gate) * up.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "cpu_kernels.h"

namespace disaggd::torch_backend {

/// weight · (x / sqrt(mean(x²) + eps)) for each row of x [rows, n]: float32 CPU tensors, weight
/// [n]. Returns a new [rows, n] tensor.
at::Tensor cpu_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

/// silu(gate) · up for gate_up [rows, 2 · inter] (gate columns first, as the fused gate_up
/// projection produces them), float32 on the CPU. Returns [rows, inter].
at::Tensor cpu_silu_mul(const at::Tensor& gate_up, cpu::Isa isa = cpu::best_isa());

/// Queries and keys as the attention wants them, in place in qkv [tokens, (heads + 2 kv_heads) ·
/// head_dim] (float32, contiguous, on the CPU): each q and k head RMSNorm-ed with q_norm / k_norm
/// when those are defined (Qwen3), then rotated by the rotary tables cos / sin ([positions,
/// head_dim] float32) at its token's position. The v part is left alone.
void cpu_prepare_qk(at::Tensor& qkv, int64_t heads, int64_t kv_heads, int64_t head_dim,
                    const at::Tensor& q_norm, const at::Tensor& k_norm, double eps,
                    const at::Tensor& cos, const at::Tensor& sin,
                    const std::vector<int64_t>& positions);

}  // namespace disaggd::torch_backend
