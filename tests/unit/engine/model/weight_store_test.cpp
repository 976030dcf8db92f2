// WeightStore: the real stories260K and synthetic Llama/Qwen2/Qwen3 checkpoints (single and
// sharded) load with the right tensor sets; every mismatch is an error naming file and tensor;
// the ABI weight source hands out exactly the mapped bytes.
#include "engine/model/weight_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/model/model_config.h"
#include "model_test_support.h"
#include "support/temp_dir.h"

namespace disaggd::engine {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::make_tensor;
using testing::TestTensor;
using testing::TinyModel;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class WeightStoreTest : public ::testing::Test {
 protected:
  /// Writes a single-file folder and opens it with the config written there.
  core::Result<WeightStore> open_model(const json& config, const std::vector<TestTensor>& tensors) {
    const std::filesystem::path folder =
        testing::write_model(dir_, "m" + std::to_string(count_++), config, tensors);
    return open_folder(folder);
  }

  core::Result<WeightStore> open_folder(const std::filesystem::path& folder) {
    const core::Result<ModelConfig> config = load_model_config(folder);
    if (!config.ok()) {
      ADD_FAILURE() << config.status().message();
      return config.status();
    }
    return WeightStore::open(folder, *config);
  }

  /// The error of opening a single-file model, failing the test when it opens.
  std::string error_of(const json& config, const std::vector<TestTensor>& tensors) {
    const core::Result<WeightStore> store = open_model(config, tensors);
    EXPECT_FALSE(store.ok());
    return store.status().message();
  }

  /// Checks the store holds exactly `tensors` (names, shapes, dtypes and bytes).
  static void expect_same_tensors(const WeightStore& store,
                                  const std::vector<TestTensor>& tensors) {
    std::set<std::string> expected;
    for (const TestTensor& t : tensors) {
      expected.insert(t.name);
      const TensorInfo* found = store.find(t.name);
      ASSERT_NE(found, nullptr) << t.name;
      EXPECT_EQ(found->shape, t.shape) << t.name;
      ASSERT_EQ(found->byte_size, t.bytes.size()) << t.name;
      EXPECT_EQ(std::memcmp(found->data, t.bytes.data(), t.bytes.size()), 0) << t.name;
    }
    std::set<std::string> actual;
    for (const TensorInfo& t : store.tensors()) {
      actual.insert(t.name);
    }
    EXPECT_EQ(actual, expected);
  }

  disaggd::testing::TempDir dir_;
  int count_ = 0;
};

TEST_F(WeightStoreTest, Stories260KHasItsFortySevenTensors) {
  const core::Result<ModelConfig> config = load_model_config(DISAGGD_TEST_MODEL_DIR);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const core::Result<WeightStore> store = WeightStore::open(DISAGGD_TEST_MODEL_DIR, *config);
  ASSERT_TRUE(store.ok()) << store.status().message();
  // embed_tokens + 5 layers * 9 + norm; tied, so no lm_head.
  ASSERT_EQ(store->tensors().size(), 47u);
  EXPECT_EQ(store->dtype(), DISAGGD_DTYPE_F32);
  EXPECT_EQ(store->total_bytes(), 1040128u);  // the whole data section of the file
  EXPECT_EQ(store->tensors().front().name, "model.embed_tokens.weight");
  EXPECT_EQ(store->tensors()[1].name, "model.layers.0.input_layernorm.weight");
  EXPECT_EQ(store->tensors()[2].name, "model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(store->tensors().back().name, "model.norm.weight");
  EXPECT_THAT(store->find("model.embed_tokens.weight")->shape, ElementsAre(512, 64));
  EXPECT_THAT(store->find("model.layers.4.self_attn.k_proj.weight")->shape, ElementsAre(32, 64));
  EXPECT_THAT(store->find("model.layers.2.self_attn.o_proj.weight")->shape, ElementsAre(64, 64));
  EXPECT_THAT(store->find("model.layers.0.mlp.down_proj.weight")->shape, ElementsAre(64, 172));
  EXPECT_THAT(store->find("model.layers.3.mlp.gate_proj.weight")->shape, ElementsAre(172, 64));
  EXPECT_EQ(store->find("lm_head.weight"), nullptr);
  EXPECT_EQ(store->find("model.layers.5.input_layernorm.weight"), nullptr);
  EXPECT_THAT(store->files(),
              ElementsAre(std::filesystem::path(DISAGGD_TEST_MODEL_DIR) / "model.safetensors"));
}

TEST_F(WeightStoreTest, WeightSourceViewsAreTheFileBytes) {
  const std::filesystem::path folder = DISAGGD_TEST_MODEL_DIR;
  const core::Result<ModelConfig> config = load_model_config(folder);
  ASSERT_TRUE(config.ok());
  core::Result<WeightStore> opened = WeightStore::open(folder, *config);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  const WeightStore store = std::move(opened).value();  // the source must survive the move

  // Read the file independently: header JSON and offsets straight from the bytes.
  const std::string bytes = read_file(folder / "model.safetensors");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  const json header = json::parse(bytes.substr(8, header_size));
  const std::size_t data_start = 8 + header_size;

  const disaggd_weight_source source = store.weight_source();
  EXPECT_EQ(source.struct_size, sizeof(disaggd_weight_source));
  ASSERT_EQ(source.tensor_count, 47u);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < source.tensor_count; ++i) {
    disaggd_tensor_view view{};
    ASSERT_EQ(source.host_get_tensor(source.host_ptr, i, &view), DISAGGD_STATUS_OK);
    EXPECT_EQ(view.struct_size, sizeof(disaggd_tensor_view));
    const std::string name(view.name.data, view.name.size);
    seen.insert(name);
    ASSERT_TRUE(header.contains(name)) << name;
    const json& entry = header[name];
    EXPECT_EQ(view.dtype, static_cast<uint32_t>(DISAGGD_DTYPE_F32)) << name;
    ASSERT_EQ(view.rank, entry["shape"].size()) << name;
    for (uint32_t d = 0; d < view.rank; ++d) {
      EXPECT_EQ(view.shape[d], entry["shape"][d].get<int64_t>()) << name;
    }
    const auto begin = entry["data_offsets"][0].get<std::size_t>();
    const auto end = entry["data_offsets"][1].get<std::size_t>();
    ASSERT_EQ(view.data.size, end - begin) << name;
    EXPECT_EQ(std::memcmp(view.data.data, bytes.data() + data_start + begin, view.data.size), 0)
        << name;
  }
  EXPECT_EQ(seen.size(), 47u);  // every index gives a different tensor

  disaggd_tensor_view view{};
  EXPECT_EQ(source.host_get_tensor(source.host_ptr, 47, &view), DISAGGD_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(source.host_get_tensor(source.host_ptr, 0, nullptr), DISAGGD_STATUS_INVALID_ARGUMENT);

  // The views point into the store's own mapping, not at copies.
  ASSERT_EQ(source.host_get_tensor(source.host_ptr, 46, &view), DISAGGD_STATUS_OK);
  EXPECT_EQ(std::string(view.name.data, view.name.size), "model.norm.weight");
  EXPECT_EQ(view.data.data, store.find("model.norm.weight")->data);
  EXPECT_EQ(view.shape, store.find("model.norm.weight")->shape.data());
}

TEST_F(WeightStoreTest, UntiedLlamaHasLmHeadLast) {
  const TinyModel model;
  const std::vector<TestTensor> tensors = testing::tiny_tensors(model);
  const core::Result<WeightStore> store = open_model(testing::tiny_config(model), tensors);
  ASSERT_TRUE(store.ok()) << store.status().message();
  expect_same_tensors(*store, tensors);
  EXPECT_EQ(store->tensors().size(), 1u + 2 * 9 + 1 + 1);
  EXPECT_EQ(store->tensors().back().name, "lm_head.weight");
  EXPECT_EQ(store->tensors()[store->tensors().size() - 2].name, "model.norm.weight");
}

TEST_F(WeightStoreTest, Qwen2HasQkvBiases) {
  const TinyModel model{.architecture = "Qwen2ForCausalLM"};
  const std::vector<TestTensor> tensors = testing::tiny_tensors(model);
  const core::Result<WeightStore> store = open_model(testing::tiny_config(model), tensors);
  ASSERT_TRUE(store.ok()) << store.status().message();
  expect_same_tensors(*store, tensors);
  EXPECT_EQ(store->tensors().size(), 1u + 2 * 12 + 1 + 1);
  EXPECT_THAT(store->find("model.layers.1.self_attn.k_proj.bias")->shape, ElementsAre(8));
  EXPECT_EQ(store->find("model.layers.1.self_attn.o_proj.bias"), nullptr);
  // Layer 0's tensors, in the documented order.
  std::vector<std::string> layer0;
  for (const TensorInfo& t : store->tensors()) {
    if (t.name.starts_with("model.layers.0.")) {
      layer0.push_back(t.name.substr(15));
    }
  }
  EXPECT_THAT(layer0, ElementsAre("input_layernorm.weight", "self_attn.q_proj.weight",
                                  "self_attn.q_proj.bias", "self_attn.k_proj.weight",
                                  "self_attn.k_proj.bias", "self_attn.v_proj.weight",
                                  "self_attn.v_proj.bias", "self_attn.o_proj.weight",
                                  "post_attention_layernorm.weight", "mlp.gate_proj.weight",
                                  "mlp.up_proj.weight", "mlp.down_proj.weight"));
}

TEST_F(WeightStoreTest, Qwen2CheckpointWithoutBiasesIsMissingThem) {
  const TinyModel qwen2{.architecture = "Qwen2ForCausalLM"};
  // Llama's tensors under a Qwen2 config: the biases are missing.
  EXPECT_THAT(error_of(testing::tiny_config(qwen2), testing::tiny_tensors({})),
              AllOf(HasSubstr("missing tensor \"model.layers.0.self_attn.q_proj.bias\" "
                              "(expected shape [16]"),
                    HasSubstr("(and 5 more problems)")));
}

TEST_F(WeightStoreTest, Qwen3HasQkNormsAndExplicitHeadDim) {
  const TinyModel model{.architecture = "Qwen3ForCausalLM", .head_dim = 8, .tie = true};
  const std::vector<TestTensor> tensors = testing::tiny_tensors(model);
  const core::Result<WeightStore> store = open_model(testing::tiny_config(model), tensors);
  ASSERT_TRUE(store.ok()) << store.status().message();
  expect_same_tensors(*store, tensors);
  EXPECT_THAT(store->find("model.layers.0.self_attn.q_norm.weight")->shape, ElementsAre(8));
  EXPECT_THAT(store->find("model.layers.0.self_attn.q_proj.weight")->shape, ElementsAre(32, 16));
  EXPECT_THAT(store->find("model.layers.0.self_attn.o_proj.weight")->shape, ElementsAre(16, 32));
  EXPECT_THAT(store->find("model.layers.0.self_attn.v_proj.weight")->shape, ElementsAre(16, 16));
  EXPECT_EQ(store->find("lm_head.weight"), nullptr);
}

TEST_F(WeightStoreTest, Qwen3WithoutQkNormIsMissingIt) {
  const TinyModel qwen3{.architecture = "Qwen3ForCausalLM", .head_dim = 8};
  TinyModel llama_shaped = qwen3;
  llama_shaped.architecture = "LlamaForCausalLM";
  EXPECT_THAT(error_of(testing::tiny_config(qwen3), testing::tiny_tensors(llama_shaped)),
              HasSubstr("missing tensor \"model.layers.0.self_attn.q_norm.weight\" (expected "
                        "shape [8] for this Qwen3ForCausalLM)"));
}

TEST_F(WeightStoreTest, LlamaAttentionBiasIncludesOutputBias) {
  const TinyModel model{.attention_bias = true};
  const std::vector<TestTensor> tensors = testing::tiny_tensors(model);
  const core::Result<WeightStore> store = open_model(testing::tiny_config(model), tensors);
  ASSERT_TRUE(store.ok()) << store.status().message();
  expect_same_tensors(*store, tensors);
  EXPECT_THAT(store->find("model.layers.1.self_attn.o_proj.bias")->shape, ElementsAre(16));
}

TEST_F(WeightStoreTest, Bf16ModelKeepsItsDtype) {
  const TinyModel model{.dtype = "BF16"};
  const core::Result<WeightStore> store =
      open_model(testing::tiny_config(model), testing::tiny_tensors(model));
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(store->dtype(), DISAGGD_DTYPE_BF16);
  EXPECT_EQ(store->find("model.norm.weight")->byte_size, 16u * 2);
}

TEST_F(WeightStoreTest, ShardedCheckpointLoadsLikeOneFile) {
  const TinyModel model{.architecture = "Qwen2ForCausalLM"};
  const std::vector<TestTensor> tensors = testing::tiny_tensors(model);
  const std::filesystem::path folder =
      testing::write_sharded_model(dir_, "sharded", testing::tiny_config(model), tensors, 3);
  const core::Result<WeightStore> store = open_folder(folder);
  ASSERT_TRUE(store.ok()) << store.status().message();
  expect_same_tensors(*store, tensors);
  EXPECT_THAT(store->files(), ElementsAre(folder / "model-00001-of-00003.safetensors",
                                          folder / "model-00002-of-00003.safetensors",
                                          folder / "model-00003-of-00003.safetensors"));
  // Order is the architecture's, not the shards'.
  EXPECT_EQ(store->tensors().front().name, "model.embed_tokens.weight");
  EXPECT_EQ(store->find("model.norm.weight")->file.filename(),
            std::filesystem::path(std::string("model-0000") +
                                  std::to_string((tensors.size() - 2) % 3 + 1) +
                                  "-of-00003.safetensors"));
}

TEST_F(WeightStoreTest, TiedLmHeadAndRotaryBuffersAreIgnored) {
  const TinyModel model{.tie = true};
  std::vector<TestTensor> tensors = testing::tiny_tensors(model);
  tensors.push_back(make_tensor("lm_head.weight", {32, 16}));
  tensors.push_back(make_tensor("model.layers.0.self_attn.rotary_emb.inv_freq", {2}));
  const core::Result<WeightStore> store = open_model(testing::tiny_config(model), tensors);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(store->tensors().size(), tensors.size() - 2);
  EXPECT_EQ(store->find("lm_head.weight"), nullptr);
  EXPECT_EQ(store->find("model.layers.0.self_attn.rotary_emb.inv_freq"), nullptr);
  EXPECT_EQ(store->weight_source().tensor_count, tensors.size() - 2);
}

TEST_F(WeightStoreTest, MissingTensorNamesTensorShapeAndFile) {
  std::vector<TestTensor> tensors = testing::tiny_tensors({});
  tensors.erase(tensors.begin() + 5);  // model.layers.0.self_attn.o_proj.weight
  const std::string message = error_of(testing::tiny_config({}), tensors);
  EXPECT_THAT(message, AllOf(HasSubstr("model.safetensors: missing tensor "
                                       "\"model.layers.0.self_attn.o_proj.weight\" (expected "
                                       "shape [16, 16] for this LlamaForCausalLM)")));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("more problem")));
}

TEST_F(WeightStoreTest, UnexpectedTensorIsNamed) {
  std::vector<TestTensor> tensors = testing::tiny_tensors({});
  tensors.push_back(make_tensor("model.layers.0.self_attn.q_proj.bias", {16}));
  EXPECT_THAT(error_of(testing::tiny_config({}), tensors),
              AllOf(HasSubstr("model.safetensors: unexpected tensor "
                              "\"model.layers.0.self_attn.q_proj.bias\""),
                    HasSubstr("attention_bias")));
  tensors = testing::tiny_tensors({});
  tensors.push_back(make_tensor("model.layers.2.mlp.up_proj.weight", {24, 16}));  // 2 layers
  EXPECT_THAT(error_of(testing::tiny_config({}), tensors),
              HasSubstr("unexpected tensor \"model.layers.2.mlp.up_proj.weight\""));
  // An untied config with a checkpoint that has no lm_head: missing, not silently tied.
  const TinyModel tied{.tie = true};
  EXPECT_THAT(error_of(testing::tiny_config({}), testing::tiny_tensors(tied)),
              HasSubstr("missing tensor \"lm_head.weight\" (expected shape [32, 16]"));
}

TEST_F(WeightStoreTest, WrongShapeShowsFoundAndExpected) {
  std::vector<TestTensor> tensors = testing::tiny_tensors({});
  for (TestTensor& t : tensors) {
    if (t.name == "model.layers.1.self_attn.k_proj.weight") {
      t = make_tensor(t.name, {16, 16});
    }
  }
  EXPECT_THAT(error_of(testing::tiny_config({}), tensors),
              HasSubstr("model.safetensors: tensor \"model.layers.1.self_attn.k_proj.weight\": "
                        "shape [16, 16], expected [8, 16] for this LlamaForCausalLM"));
}

TEST_F(WeightStoreTest, MixedOrIntegerDtypesAreRefused) {
  std::vector<TestTensor> tensors = testing::tiny_tensors({});
  tensors[3] = make_tensor(tensors[3].name, tensors[3].shape, "BF16");
  EXPECT_THAT(error_of(testing::tiny_config({}), tensors),
              AllOf(HasSubstr("tensor \"" + tensors[3].name +
                              "\" is BF16, but "
                              "\"model.embed_tokens.weight\""),
                    HasSubstr("is F32: all weights must share one dtype")));
  tensors = testing::tiny_tensors({});
  tensors.back() = make_tensor("lm_head.weight", {32, 16}, "I32");
  EXPECT_THAT(error_of(testing::tiny_config({}), tensors),
              HasSubstr("tensor \"lm_head.weight\" is I32; weights must be F32, F16 or BF16"));
}

TEST_F(WeightStoreTest, CorruptShardFileIsNamed) {
  const TinyModel model;
  const std::filesystem::path folder =
      testing::write_model(dir_, "cut", testing::tiny_config(model), testing::tiny_tensors(model));
  const std::string bytes = read_file(folder / "model.safetensors");
  dir_.write("cut/model.safetensors", bytes.substr(0, bytes.size() - 3));
  const core::Result<WeightStore> store = open_folder(folder);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(),
              AllOf(HasSubstr("cut/model.safetensors: tensor \"lm_head.weight\""),
                    HasSubstr("reach past the end of the data section")));
}

TEST_F(WeightStoreTest, NoWeightFiles) {
  dir_.write("none/config.json", testing::tiny_config({}).dump());
  core::Result<WeightStore> store = open_folder(dir_.path() / "none");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(store.status().message(),
              HasSubstr("none: no model.safetensors or model.safetensors.index.json"));
  dir_.write("none/pytorch_model.bin", "pickle");
  store = open_folder(dir_.path() / "none");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("only safetensors weights are supported"));
}

class ShardedWeightStoreTest : public WeightStoreTest {
 protected:
  void SetUp() override {
    folder_ = testing::write_sharded_model(dir_, "s", testing::tiny_config({}),
                                           testing::tiny_tensors({}), 2);
    index_ = json::parse(read_file(folder_ / "model.safetensors.index.json"));
  }

  /// Rewrites the index and returns the error of opening the folder.
  std::string error_with_index(const json& index) {
    dir_.write("s/model.safetensors.index.json", index.dump());
    const core::Result<WeightStore> store = open_folder(folder_);
    EXPECT_FALSE(store.ok());
    EXPECT_THAT(store.status().message(), HasSubstr("model.safetensors.index.json"));
    return store.status().message();
  }

  std::filesystem::path folder_;
  json index_;
};

TEST_F(ShardedWeightStoreTest, IndexPointingToMissingShard) {
  index_["weight_map"]["model.norm.weight"] = "model-00009-of-00009.safetensors";
  EXPECT_THAT(
      error_with_index(index_),
      AllOf(HasSubstr("shard \"model-00009-of-00009.safetensors\""), HasSubstr("cannot open")));
}

TEST_F(ShardedWeightStoreTest, ShardNamesMustStayInsideTheFolder) {
  dir_.write("escape.safetensors", testing::safetensors_file({make_tensor("x", {1})}));
  for (const char* name : {"../escape.safetensors", "/etc/passwd", "sub/x.safetensors", ".."}) {
    json index = index_;
    index["weight_map"]["model.norm.weight"] = name;
    EXPECT_THAT(error_with_index(index),
                HasSubstr("weight_map: tensor \"model.norm.weight\": shard \"" + std::string(name) +
                          "\" is not a plain file name inside the model folder"))
        << name;
  }
}

TEST_F(ShardedWeightStoreTest, ShardTensorMissingFromIndex) {
  index_["weight_map"].erase("model.norm.weight");
  EXPECT_THAT(error_with_index(index_),
              HasSubstr("tensor \"model.norm.weight\" is not listed in the weight_map of"));
}

TEST_F(ShardedWeightStoreTest, IndexMapsTensorToTheWrongShard) {
  const std::string actual = index_["weight_map"]["model.norm.weight"].get<std::string>();
  const std::string other = actual == "model-00001-of-00002.safetensors"
                                ? "model-00002-of-00002.safetensors"
                                : "model-00001-of-00002.safetensors";
  index_["weight_map"]["model.norm.weight"] = other;
  EXPECT_THAT(
      error_with_index(index_),
      AllOf(HasSubstr(actual + ": tensor \"model.norm.weight\" is mapped to \"" + other + "\"")));
}

TEST_F(ShardedWeightStoreTest, IndexNamesATensorNoShardHas) {
  index_["weight_map"]["model.extra.weight"] = "model-00001-of-00002.safetensors";
  EXPECT_THAT(error_with_index(index_),
              HasSubstr("weight_map: tensor \"model.extra.weight\" is mapped to "
                        "\"model-00001-of-00002.safetensors\", which does not contain it"));
}

TEST_F(ShardedWeightStoreTest, MalformedIndex) {
  EXPECT_THAT(error_with_index(json{{"metadata", json::object()}}),
              HasSubstr("weight_map: expected a non-empty object"));
  json index = index_;
  index["weight_map"]["model.norm.weight"] = 3;
  EXPECT_THAT(error_with_index(index),
              HasSubstr("weight_map: tensor \"model.norm.weight\": expected a shard file name"));
  dir_.write("s/model.safetensors.index.json", "{not json");
  const core::Result<WeightStore> store = open_folder(folder_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("model.safetensors.index.json: not valid JSON"));
}

}  // namespace
}  // namespace disaggd::engine
