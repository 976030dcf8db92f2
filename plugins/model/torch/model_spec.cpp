// Parsing the model description handed to the torch backend.
#include "model_spec.h"

#include <nlohmann/json.hpp>

#include "disaggd/sdk/error.hpp"

namespace disaggd::torch_backend {
namespace {

using nlohmann::json;
using sdk::Error;

[[noreturn]] void bad(const std::string& field, const std::string& expected) {
  throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
              "model description: " + field + ": expected " + expected);
}

int64_t positive(const json& spec, const char* field) {
  const auto it = spec.find(field);
  if (it == spec.end() || !it->is_number_integer() || it->get<int64_t>() <= 0) {
    bad(field, "a positive integer");
  }
  return it->get<int64_t>();
}

double positive_number(const json& spec, const char* field, double fallback) {
  const auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) {
    return fallback;
  }
  if (!it->is_number() || it->get<double>() <= 0.0) {
    bad(field, "a positive number");
  }
  return it->get<double>();
}

bool flag(const json& spec, const char* field) {
  const auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) {
    return false;
  }
  if (!it->is_boolean()) {
    bad(field, "true or false");
  }
  return it->get<bool>();
}

std::string text(const json& spec, const char* field, const char* alternative) {
  for (const char* name : {field, alternative}) {
    const auto it = spec.find(name);
    if (it != spec.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  bad(field, "a string");
}

RopeScaling parse_rope_scaling(const json& spec) {
  RopeScaling scaling;
  const auto it = spec.find("rope_scaling");
  if (it == spec.end() || it->is_null()) {
    return scaling;
  }
  if (!it->is_object()) {
    bad("rope_scaling", "null or an object");
  }
  const std::string type = text(*it, "rope_type", "type");
  scaling.factor = positive_number(*it, "factor", 1.0);
  if (type == "linear") {
    scaling.type = RopeScaling::Type::kLinear;
  } else if (type == "llama3") {
    scaling.type = RopeScaling::Type::kLlama3;
    scaling.low_freq_factor = positive_number(*it, "low_freq_factor", 1.0);
    scaling.high_freq_factor = positive_number(*it, "high_freq_factor", 4.0);
    scaling.original_max_position_embeddings =
        static_cast<int64_t>(positive_number(*it, "original_max_position_embeddings", 8192.0));
  } else if (type != "default") {
    bad("rope_scaling.rope_type", "linear or llama3, got '" + type + "'");
  }
  return scaling;
}

}  // namespace

ModelSpec parse_model_spec(std::string_view text_json) {
  const json spec = json::parse(text_json.begin(), text_json.end(), nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "model description is not a JSON object");
  }
  ModelSpec model;
  const std::string architecture = text(spec, "architecture", "model_type");
  if (architecture == "llama") {
    model.architecture = Architecture::kLlama;
  } else if (architecture == "qwen2") {
    model.architecture = Architecture::kQwen2;
  } else if (architecture == "qwen3") {
    model.architecture = Architecture::kQwen3;
  } else {
    bad("architecture", "llama, qwen2 or qwen3, got '" + architecture + "'");
  }
  model.vocab_size = positive(spec, "vocab_size");
  model.hidden_size = positive(spec, "hidden_size");
  model.intermediate_size = positive(spec, "intermediate_size");
  model.num_layers = positive(spec, "num_hidden_layers");
  model.num_heads = positive(spec, "num_attention_heads");
  model.num_kv_heads = positive(spec, "num_key_value_heads");
  model.head_dim = positive(spec, "head_dim");
  model.max_position_embeddings = positive(spec, "max_position_embeddings");
  model.rms_norm_eps = positive_number(spec, "rms_norm_eps", 1e-6);
  model.rope_theta = positive_number(spec, "rope_theta", 10000.0);
  model.rope_scaling = parse_rope_scaling(spec);
  model.tie_word_embeddings = flag(spec, "tie_word_embeddings");
  model.attention_bias = flag(spec, "attention_bias") || model.architecture == Architecture::kQwen2;
  model.o_proj_bias = flag(spec, "o_proj_bias");
  model.qk_norm = flag(spec, "qk_norm") || model.architecture == Architecture::kQwen3;
  model.dtype = text(spec, "dtype", "torch_dtype");
  if (model.num_heads % model.num_kv_heads != 0) {
    bad("num_key_value_heads", "a divisor of num_attention_heads");
  }
  if (model.head_dim % 2 != 0) {
    bad("head_dim", "an even number (rotary embeddings rotate pairs)");
  }
  return model;
}

}  // namespace disaggd::torch_backend
