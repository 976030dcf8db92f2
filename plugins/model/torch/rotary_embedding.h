// RotaryEmbedding: cos/sin tables of rotary position embeddings (with linear or llama3 scaling)
// and their application to queries and keys, as in transformers' Llama/Qwen models.
#pragma once

#include <ATen/ATen.h>

#include "model_spec.h"

namespace disaggd::torch_backend {

class RotaryEmbedding {
 public:
  /// Tables for positions [0, max_position_embeddings) in float32, on `device`.
  RotaryEmbedding(const ModelSpec& spec, at::Device device);

  /// Rotates `x` ([tokens, heads, head_dim], any float dtype) in place-free fashion by the angles
  /// of `positions` ([tokens] int64); returns a tensor of x's dtype.
  at::Tensor apply(const at::Tensor& x, const at::Tensor& positions) const;

  int64_t max_positions() const { return cos_.size(0); }
  /// The tables [positions, head_dim] (float32, on the device) for fused kernels.
  const at::Tensor& cos() const { return cos_; }
  const at::Tensor& sin() const { return sin_; }

 private:
  at::Tensor cos_;  // [positions, head_dim], float32
  at::Tensor sin_;  // [positions, head_dim], float32
};

}  // namespace disaggd::torch_backend
