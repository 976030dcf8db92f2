// ModelConfig: config.json of the three architectures, generation_config.json, and precise errors.
#include "engine/model/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model_test_support.h"
#include "support/temp_dir.h"

namespace disaggd::engine {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ModelConfigTest : public ::testing::Test {
 protected:
  /// Loads a folder holding `config` (and `generation`, unless null).
  core::Result<ModelConfig> load(const json& config, const json& generation = nullptr) {
    const std::string sub = "m" + std::to_string(count_++);
    dir_.write(sub + "/config.json", config.dump());
    if (!generation.is_null()) {
      dir_.write(sub + "/generation_config.json", generation.dump());
    }
    return load_model_config(dir_.path() / sub);
  }

  /// The error of loading `config` (failing the test when it loads).
  std::string error_of(const json& config,
                       core::StatusCode code = core::StatusCode::kInvalidArgument) {
    const core::Result<ModelConfig> result = load(config);
    EXPECT_FALSE(result.ok()) << config.dump();
    EXPECT_EQ(result.status().code(), code) << result.status().message();
    return result.status().message();
  }

  /// A valid Llama config to break one key at a time.
  static json llama() { return testing::tiny_config({}); }

  disaggd::testing::TempDir dir_;
  int count_ = 0;
};

TEST_F(ModelConfigTest, Stories260KLoadsEveryValue) {
  const core::Result<ModelConfig> result = load_model_config(DISAGGD_TEST_MODEL_DIR);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const ModelConfig& c = *result;
  EXPECT_EQ(c.architecture, ModelArchitecture::kLlama);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 172);
  EXPECT_EQ(c.num_hidden_layers, 5);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_EQ(c.rope_scaling.type, RopeScalingType::kNone);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.o_proj_bias);
  EXPECT_FALSE(c.qk_norm);
  EXPECT_EQ(c.dtype, DISAGGD_DTYPE_F32);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_THAT(c.eos_token_ids, ElementsAre(2));
  EXPECT_FALSE(c.pad_token_id.has_value());
  // generation_config.json: do_sample false, max_length 512.
  EXPECT_EQ(c.generation.do_sample, false);
  EXPECT_EQ(c.generation.max_length, 512);
  EXPECT_FALSE(c.generation.temperature.has_value());
  EXPECT_FALSE(c.generation.max_new_tokens.has_value());
}

TEST_F(ModelConfigTest, ToJsonHasExactlyTheDocumentedFields) {
  const core::Result<ModelConfig> result = load_model_config(DISAGGD_TEST_MODEL_DIR);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const json expected = {
      {"architecture", "llama"},
      {"hf_architecture", "LlamaForCausalLM"},
      {"vocab_size", 512},
      {"hidden_size", 64},
      {"intermediate_size", 172},
      {"num_hidden_layers", 5},
      {"num_attention_heads", 8},
      {"num_key_value_heads", 4},
      {"head_dim", 8},
      {"max_position_embeddings", 512},
      {"rms_norm_eps", 1e-5},
      {"rope_theta", 10000.0},
      {"rope_scaling", nullptr},
      {"tie_word_embeddings", true},
      {"attention_bias", false},
      {"o_proj_bias", false},
      {"qk_norm", false},
      {"dtype", "float32"},
  };
  EXPECT_EQ(result->to_json(), expected) << result->to_json().dump(2);
}

TEST_F(ModelConfigTest, Qwen2AlwaysHasQkvBiasButNoOutputBias) {
  json config = testing::tiny_config({.architecture = "Qwen2ForCausalLM"});
  config["attention_bias"] = false;  // Qwen2's modelling code ignores it
  config["torch_dtype"] = "bfloat16";
  config["use_sliding_window"] = false;
  const core::Result<ModelConfig> c = load(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->architecture, ModelArchitecture::kQwen2);
  EXPECT_TRUE(c->attention_bias);
  EXPECT_FALSE(c->o_proj_bias);
  EXPECT_FALSE(c->qk_norm);
  EXPECT_EQ(c->dtype, DISAGGD_DTYPE_BF16);
  EXPECT_EQ(c->head_dim, 4);  // hidden 16 / 4 heads
  EXPECT_EQ(c->to_json()["architecture"], "qwen2");
  EXPECT_EQ(c->to_json()["dtype"], "bfloat16");
}

TEST_F(ModelConfigTest, Qwen3UsesItsExplicitHeadDimAndQkNorm) {
  // head_dim 8 differs from hidden / heads (4): the explicit value must win.
  const core::Result<ModelConfig> c =
      load(testing::tiny_config({.architecture = "Qwen3ForCausalLM", .head_dim = 8}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->architecture, ModelArchitecture::kQwen3);
  EXPECT_EQ(c->head_dim, 8);
  EXPECT_TRUE(c->qk_norm);
  EXPECT_FALSE(c->attention_bias);
  EXPECT_EQ(c->to_json()["qk_norm"], true);
  EXPECT_EQ(c->to_json()["head_dim"], 8);
}

TEST_F(ModelConfigTest, Qwen3WithoutHeadDimIsAnError) {
  json config = testing::tiny_config({.architecture = "Qwen3ForCausalLM"});
  config.erase("head_dim");
  EXPECT_THAT(error_of(config), AllOf(HasSubstr("config.json: head_dim: expected a positive "
                                                "integer"),
                                      HasSubstr("Qwen3")));
}

TEST_F(ModelConfigTest, LlamaAttentionBiasPutsBiasOnAllFourProjections) {
  const core::Result<ModelConfig> c = load(testing::tiny_config({.attention_bias = true}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->attention_bias);
  EXPECT_TRUE(c->o_proj_bias);
}

TEST_F(ModelConfigTest, DefaultsForOptionalKeys) {
  json config = llama();
  for (const char* key :
       {"num_key_value_heads", "rms_norm_eps", "rope_theta", "max_position_embeddings",
        "tie_word_embeddings", "attention_bias", "torch_dtype", "bos_token_id", "eos_token_id"}) {
    config.erase(key);
  }
  config["dtype"] = "float16";  // the newer spelling of torch_dtype
  const core::Result<ModelConfig> c = load(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->num_key_value_heads, c->num_attention_heads);
  EXPECT_DOUBLE_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c->rope_theta, 10000.0);
  EXPECT_EQ(c->max_position_embeddings, 2048);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->dtype, DISAGGD_DTYPE_F16);
  EXPECT_FALSE(c->bos_token_id.has_value());
  EXPECT_TRUE(c->eos_token_ids.empty());
}

TEST_F(ModelConfigTest, EosAsListAndGenerationConfigMerged) {
  json config = llama();
  config["eos_token_id"] = json::array({2, 5});
  config["pad_token_id"] = 0;
  const json generation = {{"bos_token_id", 3},    {"eos_token_id", {5, 7}},
                           {"temperature", 0.6},   {"top_p", 0.95},
                           {"top_k", 20},          {"repetition_penalty", 1.1},
                           {"do_sample", true},    {"max_new_tokens", 64},
                           {"max_length", nullptr}};
  const core::Result<ModelConfig> c = load(config, generation);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_THAT(c->eos_token_ids, ElementsAre(2, 5, 7));  // config's first, no duplicates
  EXPECT_EQ(c->bos_token_id, 3);                        // generation_config.json wins
  EXPECT_EQ(c->pad_token_id, 0);
  EXPECT_DOUBLE_EQ(c->generation.temperature.value_or(-1), 0.6);
  EXPECT_DOUBLE_EQ(c->generation.top_p.value_or(-1), 0.95);
  EXPECT_EQ(c->generation.top_k, 20);
  EXPECT_DOUBLE_EQ(c->generation.repetition_penalty.value_or(-1), 1.1);
  EXPECT_EQ(c->generation.do_sample, true);
  EXPECT_EQ(c->generation.max_new_tokens, 64);
  EXPECT_FALSE(c->generation.max_length.has_value());
}

TEST_F(ModelConfigTest, BadGenerationConfigNamesItsFileAndKey) {
  const core::Result<ModelConfig> c = load(llama(), json{{"top_p", 1.5}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("generation_config.json: top_p: expected a number in (0, 1], got 1.5"));
  const core::Result<ModelConfig> eos = load(llama(), json{{"eos_token_id", {2, "x"}}});
  ASSERT_FALSE(eos.ok());
  EXPECT_THAT(eos.status().message(), HasSubstr("generation_config.json: eos_token_id: expected"));
}

TEST_F(ModelConfigTest, RopeScalingLlama3AndLinear) {
  json config = llama();
  config["rope_scaling"] = {{"rope_type", "llama3"},
                            {"factor", 8.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 8192}};
  const core::Result<ModelConfig> c = load(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 8.0);
  EXPECT_DOUBLE_EQ(c->rope_scaling.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(c->rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(c->to_json()["rope_scaling"], (json{{"type", "llama3"},
                                                {"factor", 8.0},
                                                {"low_freq_factor", 1.0},
                                                {"high_freq_factor", 4.0},
                                                {"original_max_position_embeddings", 8192}}));

  config["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};  // the older key name
  const core::Result<ModelConfig> linear = load(config);
  ASSERT_TRUE(linear.ok()) << linear.status().message();
  EXPECT_EQ(linear->rope_scaling.type, RopeScalingType::kLinear);
  EXPECT_EQ(linear->to_json()["rope_scaling"], (json{{"type", "linear"}, {"factor", 2.0}}));

  config["rope_scaling"] = {{"rope_type", "default"}};
  const core::Result<ModelConfig> plain = load(config);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->rope_scaling.type, RopeScalingType::kNone);
}

TEST_F(ModelConfigTest, UnsupportedRopeScalingTypeNamesTypeAndSupportedOnes) {
  json config = llama();
  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_THAT(error_of(config, core::StatusCode::kUnsupported),
              AllOf(HasSubstr("config.json: rope_scaling.rope_type: unsupported rope scaling type "
                              "\"yarn\""),
                    HasSubstr("llama3"), HasSubstr("linear")));
}

TEST_F(ModelConfigTest, BrokenRopeScalingParameters) {
  json config = llama();
  config["rope_scaling"] = {{"rope_type", "llama3"},
                            {"factor", 8.0},
                            {"low_freq_factor", 4.0},
                            {"high_freq_factor", 1.0},
                            {"original_max_position_embeddings", 8192}};
  EXPECT_THAT(error_of(config), HasSubstr("rope_scaling.high_freq_factor: must be greater"));
  config["rope_scaling"] = {{"type", "linear"}};
  EXPECT_THAT(error_of(config),
              HasSubstr("rope_scaling.factor: expected a positive number, got nothing"));
  config["rope_scaling"] = "linear";
  EXPECT_THAT(error_of(config), HasSubstr("rope_scaling: expected null or an object"));
}

TEST_F(ModelConfigTest, UnsupportedArchitectureNamesTheSupportedOnes) {
  json config = llama();
  config["architectures"] = {"MistralForCausalLM"};
  EXPECT_THAT(error_of(config, core::StatusCode::kUnsupported),
              AllOf(HasSubstr("config.json: architectures: unsupported architecture "
                              "\"MistralForCausalLM\""),
                    HasSubstr("LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM")));
}

TEST_F(ModelConfigTest, ModelTypeStandsInForMissingArchitectures) {
  json config = llama();
  config.erase("architectures");
  config["model_type"] = "qwen2";
  const core::Result<ModelConfig> c = load(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->architecture, ModelArchitecture::kQwen2);
  config.erase("model_type");
  EXPECT_THAT(error_of(config), HasSubstr("architectures: expected a list of architecture names"));
}

TEST_F(ModelConfigTest, BadValueTypesNameFileKeyExpectationAndValue) {
  struct Case {
    const char* key;
    json value;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"num_attention_heads", "x", "num_attention_heads: expected a positive integer, got \"x\""},
      {"hidden_size", 0, "hidden_size: expected a positive integer, got 0"},
      {"vocab_size", 32.5, "vocab_size: expected a positive integer, got 32.5"},
      {"num_hidden_layers", -2, "num_hidden_layers: expected a positive integer, got -2"},
      {"intermediate_size", nullptr, "intermediate_size: expected a positive integer, got nothing"},
      {"rms_norm_eps", "1e-6", "rms_norm_eps: expected a positive number, got \"1e-6\""},
      {"rope_theta", -1, "rope_theta: expected a positive number, got -1"},
      {"tie_word_embeddings", "yes", "tie_word_embeddings: expected true or false, got \"yes\""},
      {"torch_dtype", "float64",
       "torch_dtype: expected \"float32\", \"float16\" or \"bfloat16\", got \"float64\""},
      {"bos_token_id", 32, "bos_token_id: expected a token id in [0, 32), got 32"},
      {"eos_token_id", json::array({2, -1}),
       "eos_token_id: expected a token id in [0, 32) or a list of them, got [2,-1]"},
      {"architectures", json::array(), "architectures: expected a list of architecture names"},
  };
  for (const Case& c : cases) {
    json config = llama();
    config[c.key] = c.value;
    const std::string message = error_of(config);
    EXPECT_THAT(message, HasSubstr(std::string("config.json: ") + c.message)) << c.key;
    EXPECT_THAT(message, HasSubstr(dir_.path().string())) << c.key;
  }
}

TEST_F(ModelConfigTest, HeadsMustDivide) {
  json config = llama();
  config["num_key_value_heads"] = 3;
  EXPECT_THAT(error_of(config),
              HasSubstr("num_key_value_heads: 3 does not divide num_attention_heads (4)"));
  config = llama();
  config["num_attention_heads"] = 6;  // 16 / 6 is not whole and there is no head_dim
  config["num_key_value_heads"] = 6;
  EXPECT_THAT(error_of(config),
              HasSubstr("num_attention_heads: 6 does not divide hidden_size (16)"));
  config["head_dim"] = 4;  // an explicit head_dim makes it fine
  EXPECT_TRUE(load(config).ok());
}

TEST_F(ModelConfigTest, UnsupportedFeaturesAreRefused) {
  json config = llama();
  config["hidden_act"] = "gelu";
  EXPECT_THAT(error_of(config, core::StatusCode::kUnsupported),
              HasSubstr("hidden_act: unsupported activation \"gelu\""));
  config = llama();
  config["mlp_bias"] = true;
  EXPECT_THAT(error_of(config, core::StatusCode::kUnsupported), HasSubstr("mlp_bias: true"));
  config = testing::tiny_config({.architecture = "Qwen2ForCausalLM"});
  config["use_sliding_window"] = true;
  EXPECT_THAT(error_of(config, core::StatusCode::kUnsupported),
              HasSubstr("use_sliding_window: true is not supported"));
}

TEST_F(ModelConfigTest, MissingOrUnreadableConfigJson) {
  const core::Result<ModelConfig> missing = load_model_config(dir_.subdir("empty"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("empty/config.json: no such file"));

  dir_.write("broken/config.json", "{\"vocab_size\": 3,");
  const core::Result<ModelConfig> broken = load_model_config(dir_.path() / "broken");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("broken/config.json: not valid JSON"));

  dir_.write("array/config.json", "[1, 2]");
  const core::Result<ModelConfig> array = load_model_config(dir_.path() / "array");
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(array.status().message(),
              HasSubstr("array/config.json: expected a JSON object, got [1,2]"));
}

}  // namespace
}  // namespace disaggd::engine
