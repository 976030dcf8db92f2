// Test helpers for model backends: load a model folder and a backend plugin through the real
// host, allocate KV blocks, and run prefill and greedy decoding through the model ABI.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "core/plugins/model_backend.h"
#include "core/plugins/plugin_host.h"
#include "core/plugins/plugin_options.h"
#include "engine/model/model_folder.h"

namespace disaggd::test {

/// A model folder and a backend instance created from it.
struct LoadedModel {
  std::unique_ptr<engine::ModelFolder> folder;
  std::unique_ptr<core::ModelBackend> backend;

  std::size_t vocab() const { return static_cast<std::size_t>(folder->config.vocab_size); }
  uint32_t block_size() const { return backend->kv_layout().block_size; }
};

/// Loads `model_dir` and creates the model plugin `plugin` on it with `options`; fails the test
/// (returning an empty backend) on any error.
inline LoadedModel load_model(const std::string& model_dir, const std::string& plugin,
                              const core::PluginOptions& options) {
  auto folder = engine::open_model_folder(model_dir);
  EXPECT_TRUE(folder.ok()) << folder.status().message();
  if (!folder.ok()) {
    return {};
  }
  core::PluginHost host({DISAGGD_TEST_PLUGIN_DIR});
  auto library = host.load(core::PluginKind::kModel, plugin);
  EXPECT_TRUE(library.ok()) << library.status().message();
  if (!library.ok()) {
    return {};
  }
  const disaggd_weight_source weights = folder->weights.weight_source();
  auto backend =
      core::ModelBackend::create(*library, folder->config.to_json().dump(), weights, options);
  EXPECT_TRUE(backend.ok()) << backend.status().message();
  LoadedModel model{std::make_unique<engine::ModelFolder>(std::move(folder).value()), nullptr};
  if (backend.ok()) {
    model.backend = std::move(backend).value();
  }
  return model;
}

inline core::PluginOption option(const std::string& key, const std::string& value) {
  return core::PluginOption::from_scalar(key, value, false);
}

/// One sequence being generated: its tokens so far, how many are in the KV cache, its blocks.
struct Sequence {
  std::vector<int32_t> tokens;
  uint32_t cached = 0;
  std::vector<int32_t> blocks;
};

/// A slice covering tokens [seq.cached, seq.cached + count) of `seq`.
inline disaggd_forward_sequence slice(const Sequence& seq, uint32_t count, bool want_logits) {
  disaggd_forward_sequence s{};
  s.tokens = seq.tokens.data() + seq.cached;
  s.token_count = count;
  s.start_position = seq.cached;
  s.block_table = seq.blocks.data();
  s.block_count = static_cast<uint32_t>(seq.blocks.size());
  s.want_logits = want_logits ? 1u : 0u;
  return s;
}

/// Runs one step: each sequence i advances by counts[i] tokens; returns the logits (vocab floats
/// per sequence, all sequences want logits).
inline std::vector<float> step(LoadedModel& model, std::vector<Sequence*> sequences,
                               const std::vector<uint32_t>& counts) {
  std::vector<disaggd_forward_sequence> slices;
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    slices.push_back(slice(*sequences[i], counts[i], true));
  }
  std::vector<float> logits(sequences.size() * model.vocab());
  const core::Status status = model.backend->forward(slices, logits);
  EXPECT_TRUE(status.ok()) << status.message();
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    sequences[i]->cached += counts[i];
  }
  return logits;
}

inline int32_t argmax(const float* logits, std::size_t vocab) {
  return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
}

/// Greedy generation of `new_tokens` tokens after `prompt`, prefilling in one step.
inline std::vector<int32_t> greedy(LoadedModel& model, const std::vector<int32_t>& prompt,
                                   std::size_t new_tokens, std::vector<int32_t> blocks) {
  Sequence seq{prompt, 0, std::move(blocks)};
  std::vector<int32_t> generated;
  std::vector<float> logits = step(model, {&seq}, {static_cast<uint32_t>(prompt.size())});
  while (generated.size() < new_tokens) {
    const int32_t next = argmax(logits.data(), model.vocab());
    generated.push_back(next);
    seq.tokens.push_back(next);
    if (generated.size() == new_tokens) {
      break;
    }
    logits = step(model, {&seq}, {1});
  }
  return generated;
}

/// Block ids first, first + 1, ... enough for `tokens` tokens.
inline std::vector<int32_t> contiguous_blocks(int32_t first, std::size_t tokens,
                                              uint32_t block_size) {
  std::vector<int32_t> blocks((tokens + block_size - 1) / block_size);
  std::iota(blocks.begin(), blocks.end(), first);
  return blocks;
}

/// Largest absolute difference between two equally long vectors.
inline float max_abs_diff(const float* a, const float* b, std::size_t n) {
  float worst = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

}  // namespace disaggd::test
