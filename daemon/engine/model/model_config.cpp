// ModelConfig: config.json and generation_config.json, checked key by key.
#include "engine/model/model_config.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "engine/common/json_file.h"

namespace disaggd::engine {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;
using nlohmann::json;

/// Sizes beyond this are certainly a mistake, and keeping them below it keeps products of two
/// sizes far from int64 overflow.
constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();

struct ArchitectureName {
  ModelArchitecture architecture;
  std::string_view hf_name;
  std::string_view model_type;
};

constexpr std::array<ArchitectureName, 3> kArchitectures = {{
    {ModelArchitecture::kLlama, "LlamaForCausalLM", "llama"},
    {ModelArchitecture::kQwen2, "Qwen2ForCausalLM", "qwen2"},
    {ModelArchitecture::kQwen3, "Qwen3ForCausalLM", "qwen3"},
}};

constexpr std::string_view kSupportedArchitectures =
    "LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM";

/// Reads the keys of one JSON object and words every error as "<file>: <key>: ...".
class Fields {
 public:
  Fields(const json& object, std::string file, std::string prefix = "")
      : object_(object), file_(std::move(file)), prefix_(std::move(prefix)) {}

  /// The value of `key`, or nullptr when it is absent or null.
  const json* get(std::string_view key) const {
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  Status error(std::string_view key, std::string_view message,
               StatusCode code = StatusCode::kInvalidArgument) const {
    return Status(code, file_ + ": " + prefix_ + std::string(key) + ": " + std::string(message));
  }

  Status expected(std::string_view key, std::string_view what, const json* got) const {
    return error(key, "expected " + std::string(what) + ", got " +
                          (got == nullptr ? std::string("nothing (the key is required)")
                                          : json_excerpt(*got)));
  }

  /// An integer in [min, max]; `what` describes the range for messages.
  Result<std::optional<int64_t>> optional_int(std::string_view key, int64_t min, int64_t max,
                                              std::string_view what) const {
    const json* value = get(key);
    if (value == nullptr) {
      return std::optional<int64_t>();
    }
    if (value->is_number_unsigned()) {
      const uint64_t number = value->get<uint64_t>();
      if (number <= static_cast<uint64_t>(max) && static_cast<int64_t>(number) >= min) {
        return std::optional<int64_t>(static_cast<int64_t>(number));
      }
    } else if (value->is_number_integer()) {
      const int64_t number = value->get<int64_t>();
      if (number >= min && number <= max) {
        return std::optional<int64_t>(number);
      }
    }
    return expected(key, what, value);
  }

  Result<int64_t> required_int(std::string_view key, int64_t min, int64_t max,
                               std::string_view what) const {
    Result<std::optional<int64_t>> value = optional_int(key, min, max, what);
    if (!value.ok()) {
      return value.status();
    }
    if (!value->has_value()) {
      return expected(key, what, nullptr);
    }
    return **value;
  }

  Result<int64_t> positive_size(std::string_view key) const {
    return required_int(key, 1, kMaxSize, "a positive integer");
  }

  Result<int64_t> positive_size(std::string_view key, int64_t fallback) const {
    Result<std::optional<int64_t>> value = optional_int(key, 1, kMaxSize, "a positive integer");
    if (!value.ok()) {
      return value.status();
    }
    return value->value_or(fallback);
  }

  /// A finite number accepted by `valid`, described by `what`.
  template <class Predicate>
  Result<std::optional<double>> optional_number(std::string_view key, Predicate valid,
                                                std::string_view what) const {
    const json* value = get(key);
    if (value == nullptr) {
      return std::optional<double>();
    }
    if (value->is_number()) {
      const double number = value->get<double>();
      if (std::isfinite(number) && valid(number)) {
        return std::optional<double>(number);
      }
    }
    return expected(key, what, value);
  }

  Result<double> positive_number(std::string_view key, double fallback) const {
    Result<std::optional<double>> value = optional_number(
        key, [](double x) { return x > 0; }, "a positive number");
    if (!value.ok()) {
      return value.status();
    }
    return value->value_or(fallback);
  }

  Result<double> required_positive_number(std::string_view key) const {
    Result<std::optional<double>> value = optional_number(
        key, [](double x) { return x > 0; }, "a positive number");
    if (!value.ok()) {
      return value.status();
    }
    if (!value->has_value()) {
      return expected(key, "a positive number", nullptr);
    }
    return **value;
  }

  Result<std::optional<bool>> optional_bool(std::string_view key) const {
    const json* value = get(key);
    if (value == nullptr) {
      return std::optional<bool>();
    }
    if (!value->is_boolean()) {
      return expected(key, "true or false", value);
    }
    return std::optional<bool>(value->get<bool>());
  }

  Result<bool> boolean(std::string_view key, bool fallback) const {
    Result<std::optional<bool>> value = optional_bool(key);
    if (!value.ok()) {
      return value.status();
    }
    return value->value_or(fallback);
  }

  /// A token id (or nothing for null/absent) below `vocab_size`.
  Result<std::optional<int32_t>> token_id(std::string_view key, int64_t vocab_size) const {
    Result<std::optional<int64_t>> value =
        optional_int(key, 0, vocab_size - 1, token_what(vocab_size));
    if (!value.ok()) {
      return value.status();
    }
    if (!value->has_value()) {
      return std::optional<int32_t>();
    }
    return std::optional<int32_t>(static_cast<int32_t>(**value));
  }

  /// Token ids given as one integer or a list of integers (null/absent: none).
  Result<std::vector<int32_t>> token_ids(std::string_view key, int64_t vocab_size) const {
    const json* value = get(key);
    std::vector<int32_t> ids;
    if (value == nullptr) {
      return ids;
    }
    const std::string what = token_what(vocab_size) + " or a list of them";
    const json list = value->is_array() ? *value : json::array({*value});
    for (const json& id : list) {
      const bool in_range =
          (id.is_number_unsigned() && id.get<uint64_t>() < static_cast<uint64_t>(vocab_size)) ||
          (id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() < vocab_size);
      if (!in_range) {
        return expected(key, what, value);
      }
      ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
    return ids;
  }

  const std::string& file() const { return file_; }

 private:
  static std::string token_what(int64_t vocab_size) {
    return "a token id in [0, " + std::to_string(vocab_size) + ")";
  }

  const json& object_;
  std::string file_;
  std::string prefix_;
};

/// Assigns a Result's value to `target` or returns its error from the enclosing function.
#define DISAGGD_MODEL_ASSIGN_OR_RETURN(target, expr) \
  do {                                               \
    auto disaggd_result_ = (expr);                   \
    if (!disaggd_result_.ok()) {                     \
      return disaggd_result_.status();               \
    }                                                \
    target = std::move(disaggd_result_).value();     \
  } while (false)

Result<ModelArchitecture> read_architecture(const Fields& fields) {
  if (const json* list = fields.get("architectures")) {
    if (!list->is_array() || list->empty() || !(*list)[0].is_string()) {
      return fields.expected("architectures", "a list of architecture names", list);
    }
    const std::string& name = (*list)[0].get_ref<const std::string&>();
    for (const ArchitectureName& known : kArchitectures) {
      if (known.hf_name == name) {
        return known.architecture;
      }
    }
    return fields.error("architectures",
                        "unsupported architecture \"" + name +
                            "\" (supported: " + std::string(kSupportedArchitectures) + ")",
                        StatusCode::kUnsupported);
  }
  if (const json* type = fields.get("model_type")) {
    if (type->is_string()) {
      for (const ArchitectureName& known : kArchitectures) {
        if (known.model_type == type->get_ref<const std::string&>()) {
          return known.architecture;
        }
      }
    }
    return fields.error(
        "model_type",
        "unsupported model type " + json_excerpt(*type) +
            " and no \"architectures\" (supported: " + std::string(kSupportedArchitectures) + ")",
        StatusCode::kUnsupported);
  }
  return fields.expected(
      "architectures",
      "a list of architecture names such as [\"" + std::string(kArchitectures[0].hf_name) + "\"]",
      nullptr);
}

Result<RopeScaling> read_rope_scaling(const Fields& fields) {
  RopeScaling scaling;
  const json* value = fields.get("rope_scaling");
  if (value == nullptr) {
    return scaling;
  }
  if (!value->is_object()) {
    return fields.expected("rope_scaling", "null or an object", value);
  }
  const Fields rope(*value, fields.file(), "rope_scaling.");
  const char* type_key = rope.get("rope_type") != nullptr ? "rope_type" : "type";
  const json* type = rope.get(type_key);
  if (type == nullptr || !type->is_string()) {
    return rope.expected(type_key, "a string such as \"llama3\" or \"linear\"", type);
  }
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "default") {
    return scaling;
  }
  if (name == "linear") {
    scaling.type = RopeScalingType::kLinear;
    DISAGGD_MODEL_ASSIGN_OR_RETURN(scaling.factor, rope.required_positive_number("factor"));
    return scaling;
  }
  if (name == "llama3") {
    scaling.type = RopeScalingType::kLlama3;
    DISAGGD_MODEL_ASSIGN_OR_RETURN(scaling.factor, rope.required_positive_number("factor"));
    DISAGGD_MODEL_ASSIGN_OR_RETURN(scaling.low_freq_factor,
                                   rope.required_positive_number("low_freq_factor"));
    DISAGGD_MODEL_ASSIGN_OR_RETURN(scaling.high_freq_factor,
                                   rope.required_positive_number("high_freq_factor"));
    if (scaling.high_freq_factor <= scaling.low_freq_factor) {
      return rope.error("high_freq_factor", "must be greater than low_freq_factor (" +
                                                json_excerpt(json(scaling.low_freq_factor)) +
                                                "), got " +
                                                json_excerpt(json(scaling.high_freq_factor)));
    }
    DISAGGD_MODEL_ASSIGN_OR_RETURN(scaling.original_max_position_embeddings,
                                   rope.positive_size("original_max_position_embeddings"));
    return scaling;
  }
  return rope.error(type_key,
                    "unsupported rope scaling type \"" + name +
                        "\" (supported: llama3, linear, default; or rope_scaling: null)",
                    StatusCode::kUnsupported);
}

Status read_generation_config(const std::filesystem::path& folder, ModelConfig& config) {
  const std::filesystem::path path = folder / "generation_config.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status();
  }
  Result<json> object = read_json_object(path);
  if (!object.ok()) {
    return object.status();
  }
  const Fields fields(*object, path.string());
  GenerationDefaults& g = config.generation;
  std::optional<int32_t> bos;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(bos, fields.token_id("bos_token_id", config.vocab_size));
  if (bos) {
    config.bos_token_id = bos;
  }
  std::optional<int32_t> pad;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(pad, fields.token_id("pad_token_id", config.vocab_size));
  if (pad) {
    config.pad_token_id = pad;
  }
  std::vector<int32_t> eos;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(eos, fields.token_ids("eos_token_id", config.vocab_size));
  for (const int32_t id : eos) {
    if (std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), id) ==
        config.eos_token_ids.end()) {
      config.eos_token_ids.push_back(id);
    }
  }
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      g.temperature, fields.optional_number(
                         "temperature", [](double x) { return x >= 0; }, "a number >= 0"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      g.top_p, fields.optional_number(
                   "top_p", [](double x) { return x > 0 && x <= 1; }, "a number in (0, 1]"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      g.repetition_penalty,
      fields.optional_number(
          "repetition_penalty", [](double x) { return x > 0; }, "a positive number"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(g.top_k,
                                 fields.optional_int("top_k", 0, kMaxSize, "an integer >= 0"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(g.do_sample, fields.optional_bool("do_sample"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      g.max_new_tokens, fields.optional_int("max_new_tokens", 1, kMaxSize, "a positive integer"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      g.max_length, fields.optional_int("max_length", 1, kMaxSize, "a positive integer"));
  return Status();
}

Result<disaggd_dtype> read_dtype(const Fields& fields) {
  const char* key = fields.get("torch_dtype") != nullptr ? "torch_dtype" : "dtype";
  const json* value = fields.get(key);
  if (value == nullptr) {
    return DISAGGD_DTYPE_F32;  // transformers' default when a config names no dtype
  }
  if (value->is_string()) {
    for (const disaggd_dtype dtype : {DISAGGD_DTYPE_F32, DISAGGD_DTYPE_F16, DISAGGD_DTYPE_BF16}) {
      if (torch_dtype_name(dtype) == value->get_ref<const std::string&>()) {
        return dtype;
      }
    }
  }
  return fields.expected(key, "\"float32\", \"float16\" or \"bfloat16\"", value);
}

Result<ModelConfig> read_config(const std::filesystem::path& path, const json& object) {
  const Fields fields(object, path.string());
  ModelConfig c;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.architecture, read_architecture(fields));
  const bool qwen2 = c.architecture == ModelArchitecture::kQwen2;
  const bool qwen3 = c.architecture == ModelArchitecture::kQwen3;

  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.vocab_size, fields.positive_size("vocab_size"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.hidden_size, fields.positive_size("hidden_size"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.intermediate_size, fields.positive_size("intermediate_size"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.num_hidden_layers, fields.positive_size("num_hidden_layers"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.num_attention_heads,
                                 fields.positive_size("num_attention_heads"));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      c.num_key_value_heads, fields.positive_size("num_key_value_heads", c.num_attention_heads));
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return fields.error("num_key_value_heads", std::to_string(c.num_key_value_heads) +
                                                   " does not divide num_attention_heads (" +
                                                   std::to_string(c.num_attention_heads) + ")");
  }
  if (fields.get("head_dim") != nullptr) {
    DISAGGD_MODEL_ASSIGN_OR_RETURN(c.head_dim, fields.positive_size("head_dim"));
  } else if (qwen3) {
    return fields.expected("head_dim", "a positive integer (Qwen3 configs state it)", nullptr);
  } else if (c.hidden_size % c.num_attention_heads != 0) {
    return fields.error("num_attention_heads",
                        std::to_string(c.num_attention_heads) + " does not divide hidden_size (" +
                            std::to_string(c.hidden_size) + ") and there is no head_dim");
  } else {
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.num_attention_heads * c.head_dim > kMaxSize) {
    return fields.error("head_dim", "num_attention_heads * head_dim is too large");
  }

  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.rms_norm_eps, fields.positive_number("rms_norm_eps", 1e-6));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.rope_theta, fields.positive_number("rope_theta", 10000.0));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(
      c.max_position_embeddings,
      fields.positive_size("max_position_embeddings",
                           c.architecture == ModelArchitecture::kLlama ? 2048 : 32768));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.rope_scaling, read_rope_scaling(fields));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.tie_word_embeddings,
                                 fields.boolean("tie_word_embeddings", false));

  bool attention_bias = false;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(attention_bias, fields.boolean("attention_bias", false));
  // Qwen2 always has q/k/v biases and never an o_proj bias; Llama and Qwen3 put a bias on all
  // four projections when attention_bias is set (as transformers' modelling code does).
  c.attention_bias = qwen2 || attention_bias;
  c.o_proj_bias = !qwen2 && attention_bias;
  c.qk_norm = qwen3;

  bool mlp_bias = false;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(mlp_bias, fields.boolean("mlp_bias", false));
  if (mlp_bias) {
    return fields.error("mlp_bias", "true is not supported (MLP projections without bias only)",
                        StatusCode::kUnsupported);
  }
  if (const json* act = fields.get("hidden_act")) {
    if (!act->is_string()) {
      return fields.expected("hidden_act", "a string", act);
    }
    if (act->get_ref<const std::string&>() != "silu") {
      return fields.error("hidden_act",
                          "unsupported activation " + json_excerpt(*act) + " (supported: \"silu\")",
                          StatusCode::kUnsupported);
    }
  }
  bool sliding_window = false;
  DISAGGD_MODEL_ASSIGN_OR_RETURN(sliding_window, fields.boolean("use_sliding_window", false));
  if (sliding_window) {
    return fields.error("use_sliding_window",
                        "true is not supported (full attention in every layer only)",
                        StatusCode::kUnsupported);
  }

  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.dtype, read_dtype(fields));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.bos_token_id, fields.token_id("bos_token_id", c.vocab_size));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.eos_token_ids, fields.token_ids("eos_token_id", c.vocab_size));
  DISAGGD_MODEL_ASSIGN_OR_RETURN(c.pad_token_id, fields.token_id("pad_token_id", c.vocab_size));
  return c;
}

#undef DISAGGD_MODEL_ASSIGN_OR_RETURN

}  // namespace

std::string_view architecture_name(ModelArchitecture architecture) {
  for (const ArchitectureName& known : kArchitectures) {
    if (known.architecture == architecture) {
      return known.model_type;
    }
  }
  return "?";
}

std::string_view hf_architecture_name(ModelArchitecture architecture) {
  for (const ArchitectureName& known : kArchitectures) {
    if (known.architecture == architecture) {
      return known.hf_name;
    }
  }
  return "?";
}

std::string_view torch_dtype_name(disaggd_dtype dtype) {
  switch (dtype) {
    case DISAGGD_DTYPE_F32:
      return "float32";
    case DISAGGD_DTYPE_F16:
      return "float16";
    case DISAGGD_DTYPE_BF16:
      return "bfloat16";
    default:
      return "?";
  }
}

json ModelConfig::to_json() const {
  json scaling = nullptr;
  switch (rope_scaling.type) {
    case RopeScalingType::kNone:
      break;
    case RopeScalingType::kLinear:
      scaling = {{"type", "linear"}, {"factor", rope_scaling.factor}};
      break;
    case RopeScalingType::kLlama3:
      scaling = {
          {"type", "llama3"},
          {"factor", rope_scaling.factor},
          {"low_freq_factor", rope_scaling.low_freq_factor},
          {"high_freq_factor", rope_scaling.high_freq_factor},
          {"original_max_position_embeddings", rope_scaling.original_max_position_embeddings}};
      break;
  }
  return json{
      {"architecture", architecture_name(architecture)},
      {"hf_architecture", hf_architecture_name(architecture)},
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"max_position_embeddings", max_position_embeddings},
      {"rms_norm_eps", rms_norm_eps},
      {"rope_theta", rope_theta},
      {"rope_scaling", std::move(scaling)},
      {"tie_word_embeddings", tie_word_embeddings},
      {"attention_bias", attention_bias},
      {"o_proj_bias", o_proj_bias},
      {"qk_norm", qk_norm},
      {"dtype", torch_dtype_name(dtype)},
  };
}

Result<ModelConfig> load_model_config(const std::filesystem::path& folder) {
  const std::filesystem::path path = folder / "config.json";
  Result<json> object = read_json_object(path);
  if (!object.ok()) {
    return object.status();
  }
  Result<ModelConfig> config = read_config(path, *object);
  if (!config.ok()) {
    return config;
  }
  DISAGGD_RETURN_IF_ERROR(read_generation_config(folder, *config));
  return config;
}

}  // namespace disaggd::engine
