// Transformer: the forward pass of Llama, Qwen2 and Qwen3 decoders over a paged KV cache. One call
// runs a batch that mixes prompt chunks of some sequences with single decode tokens of others.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>

#include "compute_mode.h"
#include "disaggd/model.h"
#include "model_spec.h"
#include "paged_kv_cache.h"
#include "rotary_embedding.h"
#include "transformer_weights.h"

namespace disaggd::torch_backend {

class Transformer {
 public:
  Transformer(ModelSpec spec, TransformerWeights weights, const ComputeMode& mode);

  /// Runs `count` slices (already validated against the cache by the SDK), writing their new keys
  /// and values into `cache`, and the float32 logits of the last token of every slice with
  /// want_logits set, in order, to `logits` (vocab_size floats each).
  void forward(const disaggd_forward_sequence* sequences, std::size_t count, PagedKvCache& cache,
               float* logits) const;

  const ModelSpec& spec() const { return spec_; }
  const ComputeMode& mode() const { return mode_; }

 private:
  /// The slices of one forward call, in the forms the steps need.
  struct Batch;

  /// Queries and keys normed (Qwen3) and rotated, keys and values written to `cache`, attention:
  /// layer `layer`'s attention output [tokens, heads · head_dim] from its fused qkv projection.
  /// With our fused CPU kernels (cpu_ops.h, cpu_attention.h), or with ATen ops.
  at::Tensor self_attention(at::Tensor qkv, const LayerWeights& w, int64_t layer,
                            const Batch& batch, PagedKvCache& cache) const;
  at::Tensor self_attention_aten(const at::Tensor& qkv, const LayerWeights& w, int64_t layer,
                                 const Batch& batch, PagedKvCache& cache) const;
  /// Attention of each sequence over the keys and values gathered from the cache (ATen).
  at::Tensor attention_aten(const at::Tensor& q, const Batch& batch, int64_t layer,
                            const PagedKvCache& cache) const;

  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight) const;
  /// x · weightᵀ + bias: cpu_linear with our CPU kernels, at::linear otherwise.
  at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const;
  /// silu(gate) · up of the fused gate_up projection.
  at::Tensor gated_activation(const at::Tensor& gate_up) const;
  /// Index tensor on the model's device.
  at::Tensor indices(const std::vector<int64_t>& values) const;

  ModelSpec spec_;
  TransformerWeights weights_;
  ComputeMode mode_;
  RotaryEmbedding rotary_;
};

}  // namespace disaggd::torch_backend
