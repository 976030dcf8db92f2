// The `sim` model backend plugin: computes nothing, but behaves like a real backend from the
// engine's point of view. It reads the model's shape, holds a real KV pool in the torch backend's
// layout, writes deterministic bytes into the slots of every token it processes, predicts a
// deterministic next token that depends on the KV it reads back, and takes a configured time per
// call. For proxy, migration and scale tests and benchmarks; see docs/sim-backend.md.
#include <chrono>
#include <memory>
#include <string>

#include "disaggd/sdk/model.hpp"
#include "kv_digest.h"
#include "kv_pattern.h"
#include "kv_pool.h"
#include "model_shape.h"
#include "next_token.h"
#include "sim_options.h"
#include "step_time.h"

namespace disaggd::sim_backend {
namespace {

using sdk::Error;

/// Blocks in the pool: kv_blocks, or as many as fit in kv_cache_mb (at least one).
uint32_t pool_blocks(const SimOptions& options, uint64_t bytes_per_block) {
  if (options.kv_blocks > 0) {
    return options.kv_blocks;
  }
  const uint64_t blocks = options.kv_cache_mb * 1024 * 1024 / bytes_per_block;
  if (blocks > (uint64_t{1} << 31)) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                "kv_cache_mb " + std::to_string(options.kv_cache_mb) + " makes " +
                    std::to_string(blocks) + " blocks of " + std::to_string(bytes_per_block) +
                    " bytes, more than 2^31; set kv_blocks");
  }
  return blocks == 0 ? 1 : static_cast<uint32_t>(blocks);
}

/// The line logged at creation: what the sim pretends to be and what it allocated.
std::string describe(const ModelShape& shape, const SimOptions& options, const KvPool& pool,
                     std::size_t ignored_tensors) {
  return "sim backend (computes nothing; " + std::to_string(ignored_tensors) +
         " weight tensors ignored): " + std::to_string(shape.num_layers) + " layers, " +
         std::to_string(shape.num_kv_heads) + " KV heads of dim " + std::to_string(shape.head_dim) +
         ", vocabulary " + std::to_string(shape.vocab_size) +
         "; KV pool: " + std::to_string(pool.num_blocks()) + " blocks of " +
         std::to_string(options.block_size) + " tokens, " + dtype_name(options.dtype) + ", " +
         std::to_string((pool.bytes() + 1023) / 1024) + " KiB; kv_check " +
         (options.kv_check == KvCheck::kFull ? "full" : "sampled") + "; seed " +
         std::to_string(options.seed);
}

class SimBackend final : public sdk::ModelBackend {
 public:
  /// Reads the shape from `model_config_json` and never touches `weights`.
  SimBackend(std::string_view model_config_json, const sdk::WeightSource& weights,
             sdk::Options& options, sdk::Host host)
      : shape_(parse_model_shape(model_config_json)), options_(parse_sim_options(options)) {
    KvGeometry geometry;
    geometry.num_layers = shape_.num_layers;
    geometry.num_kv_heads = shape_.num_kv_heads;
    geometry.head_dim = shape_.head_dim;
    geometry.block_size = options_.block_size;
    geometry.dtype = options_.dtype;
    pool_ = std::make_unique<KvPool>(geometry, pool_blocks(options_, geometry.bytes_per_block()));
    host.info(describe(shape_, options_, *pool_, weights.size()));
  }

  sdk::KvLayout kv_layout() const override {
    sdk::KvLayout layout;
    layout.num_layers = shape_.num_layers;
    layout.num_kv_heads = shape_.num_kv_heads;
    layout.head_dim = shape_.head_dim;
    layout.block_size = options_.block_size;
    layout.dtype = options_.dtype;
    layout.num_blocks = pool_->num_blocks();
    layout.bytes_per_block = pool_->bytes_per_block();
    return layout;
  }

  std::vector<sdk::KvRegion> kv_regions() const override {
    sdk::KvRegion region;
    region.base = pool_->data();
    region.length = pool_->bytes();
    region.kind = DISAGGD_MEMORY_HOST;
    region.device_id = -1;
    return {region};
  }

  std::size_t vocab_size() const override { return shape_.vocab_size; }

  void forward(const disaggd_forward_sequence* sequences, std::size_t count,
               float* logits) override {
    const auto start = std::chrono::steady_clock::now();
    const uint64_t limit = shape_.max_position_embeddings;
    for (std::size_t i = 0; i < count; ++i) {
      if (uint64_t{sequences[i].start_position} + sequences[i].token_count > limit) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "sequence " + std::to_string(i) +
                                                         " goes beyond max_position_embeddings " +
                                                         std::to_string(limit));
      }
    }
    for (std::size_t i = 0; i < count; ++i) {
      write_kv(sequences[i]);
    }
    // After every write, so a slice reads what the whole batch left in the pool.
    float* out = logits;
    for (std::size_t i = 0; i < count; ++i) {
      const disaggd_forward_sequence& s = sequences[i];
      if (s.want_logits == 0) {
        continue;
      }
      const uint32_t end = s.start_position + s.token_count;
      const uint64_t digest = kv_digest(*pool_, s.block_table, end, options_.kv_check);
      write_logits(
          predict(options_.seed, s.tokens[s.token_count - 1], end - 1, digest, shape_.vocab_size),
          shape_.vocab_size, out);
      out += shape_.vocab_size;
    }
    wait_until(start + options_.cost.of(sequences, count));
  }

 private:
  /// Writes the pattern of every token of `s` into its slot in every layer, keys and values.
  void write_kv(const disaggd_forward_sequence& s) {
    const std::size_t bytes = pool_->geometry().slot_bytes();
    for (uint32_t t = 0; t < s.token_count; ++t) {
      const uint32_t position = s.start_position + t;
      const uint64_t token = token_key(options_.seed, s.tokens[t], position);
      for (uint32_t layer = 0; layer < shape_.num_layers; ++layer) {
        for (uint32_t kv = 0; kv < 2; ++kv) {
          fill_slot(pool_->slot_at(s.block_table, position, layer, kv), bytes,
                    slot_key(token, layer, kv), options_.dtype);
        }
      }
    }
  }

  ModelShape shape_;
  SimOptions options_;
  std::unique_ptr<KvPool> pool_;
};

}  // namespace
}  // namespace disaggd::sim_backend

DISAGGD_MODEL_PLUGIN(disaggd::sim_backend::SimBackend, "sim", "0.1.0",
                     "Computes nothing: deterministic KV bytes, tokens and timing for tests");
