// Test support for the model repository: a tiny safetensors writer and synthetic model folders
// whose tensor lists are written out here by hand, independently of the code under test.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace disaggd::engine::testing {

/// One tensor to write: name, safetensors dtype, shape and raw little-endian bytes.
struct TestTensor {
  std::string name;
  std::string dtype = "F32";
  std::vector<int64_t> shape;
  std::string bytes;
};

inline std::size_t element_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32") {
    return 4;
  }
  if (dtype == "F16" || dtype == "BF16") {
    return 2;
  }
  if (dtype == "I64" || dtype == "F64") {
    return 8;
  }
  return 1;
}

/// `size` bytes of a pattern that differs per seed, so misplaced data is noticed.
inline std::string pattern_bytes(std::size_t size, uint32_t seed) {
  std::string bytes(size, '\0');
  uint32_t state = seed * 2654435761u + 12345u;
  for (char& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

/// A tensor of `shape` in `dtype` filled with pattern_bytes (seeded by the name).
inline TestTensor make_tensor(const std::string& name, std::vector<int64_t> shape,
                              const std::string& dtype = "F32") {
  std::size_t count = 1;
  for (const int64_t size : shape) {
    count *= static_cast<std::size_t>(size);
  }
  uint32_t seed = 0;
  for (const char c : name) {
    seed = seed * 31 + static_cast<unsigned char>(c);
  }
  return {name, dtype, std::move(shape), pattern_bytes(count * element_size(dtype), seed)};
}

/// The 8-byte little-endian length, the header padded with spaces to a multiple of 8 (as the
/// safetensors library does), then the data section.
inline std::string raw_safetensors(const std::string& header, const std::string& data) {
  std::string padded = header;
  while ((8 + padded.size()) % 8 != 0) {
    padded += ' ';
  }
  std::string file(8, '\0');
  uint64_t length = padded.size();
  for (int i = 0; i < 8; ++i) {
    file[static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return file + padded + data;
}

/// A well-formed safetensors file holding `tensors` in the given order.
inline std::string safetensors_file(const std::vector<TestTensor>& tensors,
                                    const nlohmann::json& metadata = nullptr) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const TestTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", t.shape},
                      {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  if (!metadata.is_null()) {
    header["__metadata__"] = metadata;
  }
  return raw_safetensors(header.dump(), data);
}

/// Shape of a small synthetic model.
struct TinyModel {
  std::string architecture = "LlamaForCausalLM";
  int64_t vocab = 32;
  int64_t hidden = 16;
  int64_t intermediate = 24;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t kv_heads = 2;
  int64_t head_dim = 4;  ///< Written to config.json only for Qwen3 (or when explicit_head_dim).
  bool explicit_head_dim = false;
  bool tie = false;
  bool attention_bias = false;  ///< config.json's attention_bias (Llama, Qwen3).
  std::string dtype = "F32";
};

inline nlohmann::json tiny_config(const TinyModel& m) {
  nlohmann::json config = {{"architectures", {m.architecture}},
                           {"vocab_size", m.vocab},
                           {"hidden_size", m.hidden},
                           {"intermediate_size", m.intermediate},
                           {"num_hidden_layers", m.layers},
                           {"num_attention_heads", m.heads},
                           {"num_key_value_heads", m.kv_heads},
                           {"rms_norm_eps", 1e-6},
                           {"rope_theta", 1000000.0},
                           {"max_position_embeddings", 128},
                           {"tie_word_embeddings", m.tie},
                           {"attention_bias", m.attention_bias},
                           {"hidden_act", "silu"},
                           {"torch_dtype", m.dtype == "F32"   ? "float32"
                                           : m.dtype == "F16" ? "float16"
                                                              : "bfloat16"},
                           {"bos_token_id", 1},
                           {"eos_token_id", 2}};
  if (m.architecture == "Qwen3ForCausalLM" || m.explicit_head_dim) {
    config["head_dim"] = m.head_dim;
  }
  return config;
}

/// The tensors of the model, spelled out per architecture as transformers names them.
inline std::vector<TestTensor> tiny_tensors(const TinyModel& m) {
  const bool qwen2 = m.architecture == "Qwen2ForCausalLM";
  const bool qwen3 = m.architecture == "Qwen3ForCausalLM";
  const bool qkv_bias = qwen2 || m.attention_bias;
  const bool o_bias = !qwen2 && m.attention_bias;
  const int64_t q = m.heads * m.head_dim;
  const int64_t kv = m.kv_heads * m.head_dim;
  std::vector<TestTensor> t;
  t.push_back(make_tensor("model.embed_tokens.weight", {m.vocab, m.hidden}, m.dtype));
  for (int64_t i = 0; i < m.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back(make_tensor(p + "input_layernorm.weight", {m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "self_attn.q_proj.weight", {q, m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "self_attn.k_proj.weight", {kv, m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "self_attn.v_proj.weight", {kv, m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "self_attn.o_proj.weight", {m.hidden, q}, m.dtype));
    if (qkv_bias) {
      t.push_back(make_tensor(p + "self_attn.q_proj.bias", {q}, m.dtype));
      t.push_back(make_tensor(p + "self_attn.k_proj.bias", {kv}, m.dtype));
      t.push_back(make_tensor(p + "self_attn.v_proj.bias", {kv}, m.dtype));
    }
    if (o_bias) {
      t.push_back(make_tensor(p + "self_attn.o_proj.bias", {m.hidden}, m.dtype));
    }
    if (qwen3) {
      t.push_back(make_tensor(p + "self_attn.q_norm.weight", {m.head_dim}, m.dtype));
      t.push_back(make_tensor(p + "self_attn.k_norm.weight", {m.head_dim}, m.dtype));
    }
    t.push_back(make_tensor(p + "post_attention_layernorm.weight", {m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "mlp.gate_proj.weight", {m.intermediate, m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "mlp.up_proj.weight", {m.intermediate, m.hidden}, m.dtype));
    t.push_back(make_tensor(p + "mlp.down_proj.weight", {m.hidden, m.intermediate}, m.dtype));
  }
  t.push_back(make_tensor("model.norm.weight", {m.hidden}, m.dtype));
  if (!m.tie) {
    t.push_back(make_tensor("lm_head.weight", {m.vocab, m.hidden}, m.dtype));
  }
  return t;
}

/// Writes config.json and model.safetensors of `tensors` into `dir`/`sub` and returns the folder.
inline std::filesystem::path write_model(const disaggd::testing::TempDir& dir,
                                         const std::string& sub, const nlohmann::json& config,
                                         const std::vector<TestTensor>& tensors) {
  dir.write(sub + "/config.json", config.dump(2));
  dir.write(sub + "/model.safetensors", safetensors_file(tensors));
  return dir.path() / sub;
}

/// Writes config.json, the shards (tensors dealt round-robin over `shards` files named as
/// transformers names them) and model.safetensors.index.json; returns the folder.
inline std::filesystem::path write_sharded_model(const disaggd::testing::TempDir& dir,
                                                 const std::string& sub,
                                                 const nlohmann::json& config,
                                                 const std::vector<TestTensor>& tensors,
                                                 int shards) {
  dir.write(sub + "/config.json", config.dump(2));
  std::vector<std::vector<TestTensor>> parts(static_cast<std::size_t>(shards));
  nlohmann::json weight_map = nlohmann::json::object();
  const auto shard_name = [&](int i) {
    char name[64];
    std::snprintf(name, sizeof(name), "model-%05d-of-%05d.safetensors", i + 1, shards);
    return std::string(name);
  };
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const int shard = static_cast<int>(i % static_cast<std::size_t>(shards));
    parts[static_cast<std::size_t>(shard)].push_back(tensors[i]);
    weight_map[tensors[i].name] = shard_name(shard);
  }
  for (int i = 0; i < shards; ++i) {
    dir.write(sub + "/" + shard_name(i), safetensors_file(parts[static_cast<std::size_t>(i)]));
  }
  dir.write(sub + "/model.safetensors.index.json",
            nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump(2));
  return dir.path() / sub;
}

}  // namespace disaggd::engine::testing
