// TransformerWeights: the model's weights as ATen tensors in the compute mode's dtypes, copied out
// of the host's (memory-mapped) checkpoint during create. q/k/v and gate/up projections are fused
// so each layer runs two matmuls fewer.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "compute_mode.h"
#include "disaggd/sdk/model.hpp"
#include "model_spec.h"

namespace disaggd::torch_backend {

struct LayerWeights {
  at::Tensor input_norm;   // [hidden]
  at::Tensor qkv;          // [(heads + 2 * kv_heads) * head_dim, hidden]
  at::Tensor qkv_bias;     // [(heads + 2 * kv_heads) * head_dim] or undefined
  at::Tensor q_norm;       // [head_dim] or undefined (Qwen3)
  at::Tensor k_norm;       // [head_dim] or undefined (Qwen3)
  at::Tensor o_proj;       // [hidden, heads * head_dim]
  at::Tensor o_proj_bias;  // [hidden] or undefined
  at::Tensor post_norm;    // [hidden]
  at::Tensor gate_up;      // [2 * intermediate, hidden]
  at::Tensor down_proj;    // [hidden, intermediate]
};

struct TransformerWeights {
  at::Tensor embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  at::Tensor final_norm;  // [hidden]
  at::Tensor lm_head;     // [vocab, hidden] (the embedding when tied)
};

/// Called after each layer is loaded with (layers done, layers in all).
using LoadProgress = std::function<void(int64_t, int64_t)>;

/// Reads every tensor the spec needs from `source`, checks its shape, and copies it to the mode's
/// device: projections and the embedding in `mode.weights`, norms and biases in
/// `mode.activations`.
/// Throws disaggd::sdk::Error naming a missing or misshapen tensor.
TransformerWeights load_weights(const ModelSpec& spec, const sdk::WeightSource& source,
                                const ComputeMode& mode, const LoadProgress& progress);

}  // namespace disaggd::torch_backend
