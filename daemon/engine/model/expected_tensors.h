// The tensor names and shapes a checkpoint of a given ModelConfig must contain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model_config.h"

namespace disaggd::engine {

/// One tensor the model needs: its Hugging Face name and shape.
struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

/// Every tensor a checkpoint of `config` must hold, in the order the WeightStore lists them:
///
/// 1. `model.embed_tokens.weight` [vocab, hidden];
/// 2. per layer `model.layers.<i>.` in this order: `input_layernorm.weight` [hidden];
///    `self_attn.q_proj.weight` [heads*head_dim, hidden] and `.bias` [heads*head_dim] when
///    attention_bias; `self_attn.k_proj`, `self_attn.v_proj` likewise with kv_heads*head_dim;
///    `self_attn.o_proj.weight` [hidden, heads*head_dim] and `.bias` [hidden] when o_proj_bias;
///    `self_attn.q_norm.weight`, `self_attn.k_norm.weight` [head_dim] when qk_norm;
///    `post_attention_layernorm.weight` [hidden]; `mlp.gate_proj.weight`, `mlp.up_proj.weight`
///    [intermediate, hidden]; `mlp.down_proj.weight` [hidden, intermediate];
/// 3. `model.norm.weight` [hidden];
/// 4. `lm_head.weight` [vocab, hidden] unless tie_word_embeddings.
std::vector<ExpectedTensor> expected_tensors(const ModelConfig& config);

/// True for a tensor a checkpoint may hold that the model does not use: rotary-embedding
/// `inv_freq` buffers (`*.rotary_emb.inv_freq`), and `lm_head.weight` when the embeddings are
/// tied (transformers then ignores it).
bool is_ignored_tensor(const ModelConfig& config, std::string_view name);

}  // namespace disaggd::engine
