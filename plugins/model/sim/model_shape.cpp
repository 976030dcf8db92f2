// Parsing the model description for the sim backend (see model_shape.h).
#include "model_shape.h"

#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "disaggd/sdk/error.hpp"
#include "next_token.h"

namespace disaggd::sim_backend {
namespace {

using nlohmann::json;
using sdk::Error;

[[noreturn]] void bad(const std::string& field, const std::string& expected) {
  throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
              "model description: " + field + ": expected " + expected);
}

uint32_t positive(const json& spec, const char* field, int64_t min = 1) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  const auto it = spec.find(field);
  if (it == spec.end() || !it->is_number_integer() || it->get<int64_t>() < min ||
      it->get<int64_t>() > kMax) {
    bad(field, "an integer from " + std::to_string(min) + " to " + std::to_string(kMax));
  }
  return static_cast<uint32_t>(it->get<int64_t>());
}

}  // namespace

ModelShape parse_model_shape(std::string_view text) {
  const json spec = json::parse(text.begin(), text.end(), nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "model description is not a JSON object");
  }
  ModelShape shape;
  shape.num_layers = positive(spec, "num_hidden_layers");
  shape.num_kv_heads = positive(spec, "num_key_value_heads");
  shape.head_dim = positive(spec, "head_dim");
  // The sim never predicts ids below kFirstPredictedToken, so it needs at least one more.
  shape.vocab_size = positive(spec, "vocab_size", kFirstPredictedToken + 1);
  shape.max_position_embeddings = positive(spec, "max_position_embeddings");
  return shape;
}

}  // namespace disaggd::sim_backend
