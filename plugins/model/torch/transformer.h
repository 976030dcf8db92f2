// Transformer: the forward pass of Llama, Qwen2 and Qwen3 decoders over a paged KV cache. One call
// runs a batch that mixes prompt chunks of some sequences with single decode tokens of others.
#pragma once

#include <ATen/ATen.h>

#include <cstddef>

#include "disaggd/model.h"
#include "model_spec.h"
#include "paged_kv_cache.h"
#include "rotary_embedding.h"
#include "transformer_weights.h"

namespace disaggd::torch_backend {

class Transformer {
 public:
  Transformer(ModelSpec spec, TransformerWeights weights, at::ScalarType dtype, at::Device device);

  /// Runs `count` slices (already validated against the cache by the SDK), writing their new keys
  /// and values into `cache`, and the float32 logits of the last token of every slice with
  /// want_logits set, in order, to `logits` (vocab_size floats each).
  void forward(const disaggd_forward_sequence* sequences, std::size_t count, PagedKvCache& cache,
               float* logits) const;

  const ModelSpec& spec() const { return spec_; }
  at::ScalarType dtype() const { return dtype_; }
  at::Device device() const { return device_; }

 private:
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight) const;
  /// Index tensor on the model's device.
  at::Tensor indices(const std::vector<int64_t>& values) const;
  at::Tensor attention(const at::Tensor& q, const disaggd_forward_sequence* sequences,
                       std::size_t count, const std::vector<at::Tensor>& block_tables,
                       int64_t layer, const PagedKvCache& cache) const;

  ModelSpec spec_;
  TransformerWeights weights_;
  at::ScalarType dtype_;
  at::Device device_;
  RotaryEmbedding rotary_;
};

}  // namespace disaggd::torch_backend
