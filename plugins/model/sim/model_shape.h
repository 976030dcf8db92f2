// The part of the model description (ModelConfig::to_json(), the JSON every model backend gets)
// that the sim backend uses: the sizes that shape the KV cache, the vocabulary and the context.
#pragma once

#include <cstdint>
#include <string_view>

namespace disaggd::sim_backend {

/// Sizes read from the model description, with the torch backend's field names.
struct ModelShape {
  uint32_t num_layers = 0;               ///< num_hidden_layers
  uint32_t num_kv_heads = 0;             ///< num_key_value_heads
  uint32_t head_dim = 0;                 ///< head_dim
  uint32_t vocab_size = 0;               ///< vocab_size (at least 4)
  uint32_t max_position_embeddings = 0;  ///< max_position_embeddings
};

/// Parses the description; throws disaggd::sdk::Error naming the bad field. Other fields
/// (architecture, hidden sizes, rope, dtype) are ignored: the sim runs any shape.
ModelShape parse_model_shape(std::string_view json);

}  // namespace disaggd::sim_backend
