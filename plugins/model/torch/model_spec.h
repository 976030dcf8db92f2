// ModelSpec: the model description the daemon passes to create_fn (ModelConfig::to_json()), parsed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace disaggd::torch_backend {

enum class Architecture { kLlama, kQwen2, kQwen3 };

/// Rotary scaling as in transformers' rope_scaling: none, linear or llama3.
struct RopeScaling {
  enum class Type { kNone, kLinear, kLlama3 };
  Type type = Type::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelSpec {
  Architecture architecture = Architecture::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  ///< q/k/v projections have biases (Qwen2).
  bool o_proj_bias = false;     ///< The output projection has a bias (Llama/Qwen3 attention_bias).
  bool qk_norm = false;         ///< Per-head RMSNorm of q and k before rotary (Qwen3).
  std::string dtype;            ///< Checkpoint dtype: "float32", "bfloat16" or "float16".
};

/// Parses and checks the JSON description; throws disaggd::sdk::Error naming the bad field.
ModelSpec parse_model_spec(std::string_view json);

}  // namespace disaggd::torch_backend
