// Tokenizer loading: which file is picked, tokenizer_config.json, and a clear error for every
// kind of broken or unsupported file.
#include "engine/tokenizer/tokenizer_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "support/temp_dir.h"
#include "tokenizer_test_support.h"

namespace disaggd::engine {
namespace {

using ::testing::HasSubstr;

class TokenizerLoaderTest : public ::testing::Test {
 protected:
  /// The stories260K tokenizer.json with `edit` applied, loaded from a fresh file.
  core::Result<std::unique_ptr<Tokenizer>> load_edited(
      const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json json = testing::read_json(testing::model_dir() / "tokenizer.json");
    edit(json);
    return load_tokenizer_json(dir_.write("edited/tokenizer.json", json.dump()));
  }

  static void expect_error(const core::Result<std::unique_ptr<Tokenizer>>& loaded,
                           core::StatusCode code, const std::string& text) {
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), code) << loaded.status().message();
    EXPECT_THAT(loaded.status().message(), HasSubstr(text));
  }

  disaggd::testing::TempDir dir_;
};

TEST_F(TokenizerLoaderTest, PrefersTokenizerJsonAndFallsBackToTheModel) {
  const auto folder = testing::must(load_tokenizer(testing::model_dir()));
  EXPECT_THAT(folder->description(), HasSubstr("tokenizer.json BPE (SentencePiece-style"));

  dir_.copy_in(testing::model_dir() / "tokenizer.model", "tokenizer.model", "only_model");
  dir_.copy_in(testing::model_dir() / "tokenizer_config.json", "tokenizer_config.json",
               "only_model");
  const auto model = testing::must(load_tokenizer(dir_.path() / "only_model"));
  EXPECT_THAT(model->description(), HasSubstr("tokenizer.model SentencePiece"));
  EXPECT_EQ(testing::encode(*model, "Once upon a time", true),
            testing::encode(*folder, "Once upon a time", true));

  const auto byte_level = testing::must(load_tokenizer(testing::fixture_dir() / "qwen2_style"));
  EXPECT_THAT(byte_level->description(), HasSubstr("byte-level"));
}

TEST_F(TokenizerLoaderTest, MissingFilesAreNotFound) {
  expect_error(load_tokenizer(dir_.path() / "nope"), core::StatusCode::kNotFound, "no such folder");
  expect_error(load_tokenizer(dir_.subdir("empty")), core::StatusCode::kNotFound,
               "no tokenizer.json or tokenizer.model");
  expect_error(load_tokenizer_json(dir_.path() / "tokenizer.json"), core::StatusCode::kNotFound,
               "tokenizer.json: no such file");
}

TEST_F(TokenizerLoaderTest, MalformedJsonNamesTheFileAndThePlace) {
  const auto file = dir_.write("bad/tokenizer.json", "{\"model\": {\"type\": \"BPE\",");
  expect_error(load_tokenizer_json(file), core::StatusCode::kInvalidArgument,
               file.string() + ": not valid JSON");
  dir_.write("bad_config/tokenizer.json", "{}");
  dir_.write("bad_config/tokenizer_config.json", "[1, 2");
  expect_error(load_tokenizer(dir_.path() / "bad_config"), core::StatusCode::kInvalidArgument,
               "tokenizer_config.json: not valid JSON");
  dir_.write("wrong_type/tokenizer_config.json", "{\"add_bos_token\": \"yes\"}");
  dir_.write("wrong_type/tokenizer.json", "{}");
  expect_error(load_tokenizer(dir_.path() / "wrong_type"), core::StatusCode::kInvalidArgument,
               "add_bos_token: expected true or false");
}

TEST_F(TokenizerLoaderTest, UnsupportedPartsSayWhatIsSupported) {
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["type"] = "WordPiece"; }),
               core::StatusCode::kUnsupported,
               "unsupported model type \"WordPiece\"; supported: BPE");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["type"] = "Unigram"; }),
               core::StatusCode::kUnsupported, "\"Unigram\"");
  expect_error(load_edited([](nlohmann::json& j) {
                 j["normalizer"] = {{"type", "NFKC"}};
               }),
               core::StatusCode::kUnsupported,
               "unsupported normalizer type \"NFKC\"; supported: NFC, Prepend, Replace, Sequence");
  expect_error(load_edited([](nlohmann::json& j) {
                 j["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
               }),
               core::StatusCode::kUnsupported,
               "unsupported pre_tokenizer type \"BertPreTokenizer\"");
  expect_error(load_edited([](nlohmann::json& j) {
                 j["decoder"] = {{"type", "WordPiece"}};
               }),
               core::StatusCode::kUnsupported, "unsupported decoder type \"WordPiece\"");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["dropout"] = 0.1; }),
               core::StatusCode::kUnsupported, "dropout");
  expect_error(
      load_edited([](nlohmann::json& j) { j["model"]["continuing_subword_prefix"] = "##"; }),
      core::StatusCode::kUnsupported, "continuing_subword_prefix");
}

TEST_F(TokenizerLoaderTest, InconsistentFilesAreInvalid) {
  const std::string path = (dir_.path() / "edited" / "tokenizer.json").string();
  expect_error(load_edited([](nlohmann::json& j) { j.erase("model"); }),
               core::StatusCode::kInvalidArgument, path + ": no \"model\"");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["merges"][0] = "zz qq"; }),
               core::StatusCode::kInvalidArgument, "merge 0 (\"zz\" \"qq\"): \"zz\" is not");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["merges"][1] = "abc"; }),
               core::StatusCode::kInvalidArgument, "model.merges[1]");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["vocab"]["x"] = "seven"; }),
               core::StatusCode::kInvalidArgument, "model.vocab");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["vocab"]["huge"] = 2000000000; }),
               core::StatusCode::kInvalidArgument, "model.vocab: the id of \"huge\"");
  expect_error(load_edited([](nlohmann::json& j) { j["added_tokens"][0]["id"] = 1 << 30; }),
               core::StatusCode::kInvalidArgument, "added_tokens[0]");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["vocab"]["dup"] = 5; }),
               core::StatusCode::kInvalidArgument, "vocabulary id 5 is used by both");
  expect_error(load_edited([](nlohmann::json& j) { j["model"]["unk_token"] = "<nope>"; }),
               core::StatusCode::kInvalidArgument, "unk_token \"<nope>\"");
  expect_error(load_edited([](nlohmann::json& j) {
                 j["pre_tokenizer"] = {{"type", "Split"},
                                       {"pattern", {{"Regex", "(unclosed"}}},
                                       {"behavior", "Isolated"}};
               }),
               core::StatusCode::kInvalidArgument, "cannot compile regular expression");
  expect_error(load_edited([](nlohmann::json& j) { j["added_tokens"][0].erase("id"); }),
               core::StatusCode::kInvalidArgument, "added_tokens[0]");
  expect_error(load_edited([](nlohmann::json& j) { j["normalizer"] = 5; }),
               core::StatusCode::kInvalidArgument, "normalizer: expected an object");
  expect_error(load_edited([](nlohmann::json& j) {
                 j["post_processor"]["special_tokens"]["<s>"]["ids"] = {9999};
               }),
               core::StatusCode::kInvalidArgument, "token id 9999 is out of range");
}

TEST_F(TokenizerLoaderTest, ConfigAddBosNeedsABosToken) {
  dir_.copy_in(testing::fixture_dir() / "qwen2_style" / "tokenizer.json", "tokenizer.json", "q");
  dir_.write("q/tokenizer_config.json", R"({"add_bos_token": true, "bos_token": null})");
  expect_error(load_tokenizer(dir_.path() / "q"), core::StatusCode::kInvalidArgument,
               "add_bos_token is true but bos_token is not set");
  dir_.write("q/tokenizer_config.json", R"({"add_bos_token": true, "bos_token": "<|im_start|>"})");
  const auto tokenizer = testing::must(load_tokenizer(dir_.path() / "q"));
  EXPECT_EQ(testing::encode(*tokenizer, "x", true).front(),
            *tokenizer->piece_to_id("<|im_start|>"));
}

TEST_F(TokenizerLoaderTest, ConfigAddsItsAddedTokens) {
  dir_.copy_in(testing::fixture_dir() / "gpt2_style" / "tokenizer.json", "tokenizer.json", "g");
  dir_.write("g/tokenizer_config.json", R"({
    "added_tokens_decoder": {
      "900": {"content": "<|tool|>", "special": true, "normalized": false}
    },
    "eos_token": {"content": "<|endoftext|>", "__type": "AddedToken"}
  })");
  const auto tokenizer = testing::must(load_tokenizer(dir_.path() / "g"));
  EXPECT_EQ(testing::encode(*tokenizer, "<|tool|>"), std::vector<TokenId>{900});
  EXPECT_TRUE(tokenizer->is_special(900));
  EXPECT_EQ(tokenizer->vocab_size(), 901u);
  EXPECT_EQ(tokenizer->eos_id(), tokenizer->piece_to_id("<|endoftext|>"));
  EXPECT_EQ(testing::decode(*tokenizer, {900}, true), "");
  EXPECT_EQ(testing::decode(*tokenizer, {900}, false), "<|tool|>");
}

}  // namespace
}  // namespace disaggd::engine
