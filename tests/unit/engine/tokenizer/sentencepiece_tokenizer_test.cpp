// SentencePieceTokenizer: stories260K's tokenizer.model through libsentencepiece, checked against
// the reference ids and against the same model's tokenizer.json.
#include "engine/tokenizer/sentencepiece_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "support/temp_dir.h"
#include "tokenizer_test_support.h"

namespace disaggd::engine {
namespace {

using testing::decode;
using ::testing::ElementsAre;
using testing::encode;
using ::testing::HasSubstr;

TEST(SentencePieceTokenizerTest, PromptIdsAndOutputTextMatchTheReference) {
  const auto tokenizer = testing::stories_model();
  ASSERT_NE(tokenizer, nullptr);
  for (const auto& c : testing::reference_cases()) {
    EXPECT_EQ(encode(*tokenizer, c.prompt, true), c.prompt_ids) << c.prompt;
    std::vector<TokenId> all = c.prompt_ids;
    all.insert(all.end(), c.generated_ids.begin(), c.generated_ids.end());
    EXPECT_EQ(decode(*tokenizer, all, true), c.output_text);
  }
}

TEST(SentencePieceTokenizerTest, ReadsTheModelAndItsSpecials) {
  const auto tokenizer = testing::stories_model();
  EXPECT_EQ(tokenizer->vocab_size(), 512u);
  EXPECT_EQ(tokenizer->bos_id(), 1);
  EXPECT_EQ(tokenizer->eos_id(), 2);
  EXPECT_EQ(tokenizer->unk_id(), 0);
  EXPECT_THAT(tokenizer->specials().prefix, ElementsAre(1));
  EXPECT_TRUE(tokenizer->is_special(1));
  EXPECT_FALSE(tokenizer->is_special(265));
  EXPECT_EQ(tokenizer->token_to_piece(265), "\xE2\x96\x81the");
  EXPECT_EQ(tokenizer->piece_to_id("\xE2\x96\x81the"), 265);
  EXPECT_EQ(tokenizer->piece_to_id("not a piece"), std::nullopt);  // not the unk id
  // The loader returns the module's tokenizer behind a forwarding wrapper; the normalizer
  // settings are read from the class itself, linked into this test.
  const auto direct =
      SentencePieceTokenizer::load(testing::model_dir() / "tokenizer.model", nullptr);
  ASSERT_TRUE(direct.ok()) << direct.status().message();
  const SentencePieceTokenizer* sp = direct->get();
  EXPECT_EQ(sp->normalizer().name, "identity");
  EXPECT_TRUE(sp->normalizer().add_dummy_prefix);
  EXPECT_TRUE(sp->normalizer().remove_extra_whitespaces);
}

TEST(SentencePieceTokenizerTest, BosAndEosFollowTheConfig) {
  // Without tokenizer_config.json: BOS yes, EOS no (Llama's defaults).
  const auto bare =
      testing::must(load_sentencepiece_model(testing::model_dir() / "tokenizer.model"));
  EXPECT_EQ(encode(*bare, "Hi", true).front(), 1);
  EXPECT_NE(encode(*bare, "Hi", true).back(), 2);
  TokenizerConfig config = testing::stories_config();
  config.add_bos_token = false;
  config.add_eos_token = true;
  const auto flipped =
      testing::must(load_sentencepiece_model(testing::model_dir() / "tokenizer.model", &config));
  EXPECT_NE(encode(*flipped, "Hi", true).front(), 1);
  EXPECT_EQ(encode(*flipped, "Hi", true).back(), 2);
}

TEST(SentencePieceTokenizerTest, AgreesWithTokenizerJsonWhereWhitespaceIsSimple) {
  // tokenizer.model removes extra whitespace (its normalizer spec says so); tokenizer.json does
  // not. On text with single spaces between words both give the same ids and the same text.
  const auto model = testing::stories_model();
  const auto json = testing::stories_json();
  for (const std::string& text : testing::round_trip_corpus()) {
    if (text.find("  ") != std::string::npos) {
      continue;
    }
    EXPECT_EQ(encode(*model, text, true), encode(*json, text, true)) << text;
    EXPECT_EQ(decode(*model, encode(*model, text)), text) << text;
  }
  EXPECT_EQ(encode(*model, "<s>Hi</s>"), encode(*json, "<s>Hi</s>"));
}

TEST(SentencePieceTokenizerTest, CollapsesExtraSpacesAsTheModelSays) {
  const auto model = testing::stories_model();
  EXPECT_EQ(encode(*model, "  Once   upon  "), encode(*model, "Once upon"));
  EXPECT_EQ(decode(*model, encode(*model, "  Once   upon  ")), "Once upon");
}

TEST(SentencePieceTokenizerTest, DecodesAnyIdSequenceLikeTokenizerJson) {
  // Both files describe one model: every id decodes to the same bytes, specials included.
  const auto model = testing::stories_model();
  const auto json = testing::stories_json();
  std::mt19937 random(11);
  for (int n = 0; n < 500; ++n) {
    std::vector<TokenId> ids(random() % 12);
    for (TokenId& id : ids) {
      id = static_cast<TokenId>(random() % 512);
    }
    for (const bool skip : {false, true}) {
      const auto a = model->decode_bytes(ids, skip);
      const auto b = json->decode_bytes(ids, skip);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(*a, *b);
    }
  }
}

TEST(SentencePieceTokenizerTest, ErrorsNameTheFile) {
  disaggd::testing::TempDir dir;
  const auto missing = load_sentencepiece_model(dir.path() / "tokenizer.model");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("tokenizer.model"));

  const auto garbage = load_sentencepiece_model(dir.write("tokenizer.model", "not a model"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("not a SentencePiece model"));

  const auto model = testing::stories_model();
  const auto out_of_range = model->decode(std::vector<TokenId>{512}, false);
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_THAT(out_of_range.status().message(), HasSubstr("out of range"));
  EXPECT_FALSE(model->encode("\xFF", false).ok());
}

}  // namespace
}  // namespace disaggd::engine
