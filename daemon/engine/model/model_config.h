// ModelConfig: a Hugging Face config.json (+ generation_config.json) read, checked and normalized.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "disaggd/model.h"

namespace disaggd::engine {

/// The decoder architectures the daemon serves.
enum class ModelArchitecture {
  kLlama,  ///< LlamaForCausalLM: RMSNorm, SwiGLU, RoPE, GQA; optional q/k/v/o bias.
  kQwen2,  ///< Qwen2ForCausalLM: Llama with q/k/v bias.
  kQwen3,  ///< Qwen3ForCausalLM: Llama with per-head RMSNorm on q and k, explicit head_dim.
};

/// "llama", "qwen2" or "qwen3" (the "architecture" field of ModelConfig::to_json()).
std::string_view architecture_name(ModelArchitecture architecture);
/// "LlamaForCausalLM", "Qwen2ForCausalLM" or "Qwen3ForCausalLM".
std::string_view hf_architecture_name(ModelArchitecture architecture);

/// How rotary position embeddings are rescaled for long contexts.
enum class RopeScalingType {
  kNone,    ///< Plain RoPE (rope_scaling null, absent, or of type "default").
  kLinear,  ///< Positions divided by `factor` (position interpolation).
  kLlama3,  ///< Llama 3.1's frequency-dependent scaling.
};

/// The `rope_scaling` entry of config.json. Fields not used by `type` keep their defaults.
struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;                           ///< linear, llama3.
  double low_freq_factor = 0.0;                  ///< llama3.
  double high_freq_factor = 0.0;                 ///< llama3 (> low_freq_factor).
  int64_t original_max_position_embeddings = 0;  ///< llama3.
};

/// Sampling defaults of generation_config.json; absent keys (or null values) stay empty.
struct GenerationDefaults {
  std::optional<double> temperature;         ///< >= 0.
  std::optional<double> top_p;               ///< In (0, 1].
  std::optional<int64_t> top_k;              ///< >= 0 (0: disabled).
  std::optional<double> repetition_penalty;  ///< > 0.
  std::optional<bool> do_sample;
  std::optional<int64_t> max_new_tokens;  ///< > 0.
  std::optional<int64_t> max_length;      ///< > 0 (prompt + generated tokens).
};

/// A model's shape and defaults, normalized across the supported architectures.
struct ModelConfig {
  ModelArchitecture architecture = ModelArchitecture::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  ///< Divides num_attention_heads.
  int64_t head_dim = 0;             ///< Explicit, or hidden_size / num_attention_heads.
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;  ///< lm_head shares model.embed_tokens.weight.
  bool attention_bias = false;       ///< q_proj, k_proj and v_proj have biases.
  bool o_proj_bias = false;          ///< o_proj has a bias (Llama, Qwen3 with attention_bias).
  bool qk_norm = false;              ///< Per-head RMSNorm on q and k (Qwen3).
  disaggd_dtype dtype = DISAGGD_DTYPE_F32;  ///< torch_dtype: F32, F16 or BF16.
  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;  ///< config.json's, then generation_config.json's new ones.
  std::optional<int32_t> pad_token_id;
  GenerationDefaults generation;

  /// The normalized description a model backend receives in `create_fn` (model_config_json):
  /// an object with exactly these fields (docs/models.md has the same list):
  /// - `architecture` (string): "llama", "qwen2" or "qwen3";
  /// - `hf_architecture` (string): "LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM";
  /// - integers: `vocab_size`, `hidden_size`, `intermediate_size`, `num_hidden_layers`,
  ///   `num_attention_heads`, `num_key_value_heads`, `head_dim` (resolved),
  ///   `max_position_embeddings`;
  /// - numbers: `rms_norm_eps`, `rope_theta`;
  /// - `rope_scaling`: null, {"type": "linear", "factor"} or {"type": "llama3", "factor",
  ///   "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"};
  /// - bools: `tie_word_embeddings`, `attention_bias` (q_proj, k_proj and v_proj carry a bias:
  ///   Qwen2 always, Llama and Qwen3 when config.json's attention_bias is true), `o_proj_bias`
  ///   (o_proj carries one: Llama and Qwen3 with attention_bias, never Qwen2), `qk_norm` (Qwen3);
  /// - `dtype` (string): "float32", "float16" or "bfloat16" (config.json's torch_dtype).
  ///
  /// The engine may add keys of its own (such as the KV pool size); a backend should ignore keys
  /// it does not know.
  nlohmann::json to_json() const;
};

/// Reads `<folder>/config.json` and, when present, `<folder>/generation_config.json`.
/// Errors (kInvalidArgument, kUnsupported for an unsupported architecture, rope_scaling type,
/// activation or feature, kNotFound for a missing config.json) name the file, the key, what
/// was expected and what was found.
core::Result<ModelConfig> load_model_config(const std::filesystem::path& folder);

/// "float32", "float16" or "bfloat16" for the float dtypes; "?" otherwise.
std::string_view torch_dtype_name(disaggd_dtype dtype);

}  // namespace disaggd::engine
