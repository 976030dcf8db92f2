// The tensor set of Llama, Qwen2 and Qwen3 checkpoints, as transformers' modelling code names it.
#include "engine/model/expected_tensors.h"

namespace disaggd::engine {

std::vector<ExpectedTensor> expected_tensors(const ModelConfig& config) {
  const int64_t vocab = config.vocab_size;
  const int64_t hidden = config.hidden_size;
  const int64_t inter = config.intermediate_size;
  const int64_t q_size = config.num_attention_heads * config.head_dim;
  const int64_t kv_size = config.num_key_value_heads * config.head_dim;

  std::vector<ExpectedTensor> tensors;
  tensors.push_back({"model.embed_tokens.weight", {vocab, hidden}});
  for (int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const auto add = [&](const std::string& name, std::vector<int64_t> shape) {
      tensors.push_back({prefix + name, std::move(shape)});
    };
    add("input_layernorm.weight", {hidden});
    const auto projection = [&](const std::string& name, int64_t out, int64_t in, bool bias) {
      add("self_attn." + name + ".weight", {out, in});
      if (bias) {
        add("self_attn." + name + ".bias", {out});
      }
    };
    projection("q_proj", q_size, hidden, config.attention_bias);
    projection("k_proj", kv_size, hidden, config.attention_bias);
    projection("v_proj", kv_size, hidden, config.attention_bias);
    projection("o_proj", hidden, q_size, config.o_proj_bias);
    if (config.qk_norm) {
      add("self_attn.q_norm.weight", {config.head_dim});
      add("self_attn.k_norm.weight", {config.head_dim});
    }
    add("post_attention_layernorm.weight", {hidden});
    add("mlp.gate_proj.weight", {inter, hidden});
    add("mlp.up_proj.weight", {inter, hidden});
    add("mlp.down_proj.weight", {hidden, inter});
  }
  tensors.push_back({"model.norm.weight", {hidden}});
  if (!config.tie_word_embeddings) {
    tensors.push_back({"lm_head.weight", {vocab, hidden}});
  }
  return tensors;
}

bool is_ignored_tensor(const ModelConfig& config, std::string_view name) {
  constexpr std::string_view kInvFreq = ".rotary_emb.inv_freq";
  if (name.size() >= kInvFreq.size() && name.substr(name.size() - kInvFreq.size()) == kInvFreq) {
    return true;
  }
  return config.tie_word_embeddings && name == "lm_head.weight";
}

}  // namespace disaggd::engine
