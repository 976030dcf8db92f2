// IncrementalDetokenizer: streamed chunks are always well-formed UTF-8, hold back incomplete
// characters, and add up to exactly what decode() gives.
#include "engine/tokenizer/incremental_detokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "engine/tokenizer/byte_level.h"
#include "tokenizer_test_support.h"

namespace disaggd::engine {
namespace {

using testing::decode;
using testing::encode;
using ::testing::HasSubstr;

/// Streams `generated` after `context` and returns the chunks (the last from finish()), checking
/// that each one is well-formed UTF-8.
std::vector<std::string> stream(const Tokenizer& tokenizer, const std::vector<TokenId>& context,
                                const std::vector<TokenId>& generated, bool skip_special) {
  IncrementalDetokenizer detokenizer(tokenizer, context, skip_special);
  std::vector<std::string> chunks;
  for (const TokenId id : generated) {
    core::Result<std::string> chunk = detokenizer.push(id);
    EXPECT_TRUE(chunk.ok()) << chunk.status().message();
    chunks.push_back(chunk.ok() ? *chunk : std::string());
    EXPECT_TRUE(is_valid_utf8(chunks.back())) << "after id " << id;
  }
  chunks.push_back(detokenizer.finish());
  EXPECT_TRUE(is_valid_utf8(chunks.back()));
  return chunks;
}

std::string join(const std::vector<std::string>& chunks) {
  std::string text;
  for (const std::string& chunk : chunks) {
    text += chunk;
  }
  return text;
}

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(IncrementalDetokenizerTest, StreamsEveryReferenceGenerationExactly) {
  for (const auto& tokenizer : {testing::stories_json(), testing::stories_model()}) {
    ASSERT_NE(tokenizer, nullptr);
    for (const auto& c : testing::reference_cases()) {
      // After the prompt: the completion with its leading space (" was a little girl ...").
      const std::string after_prompt =
          join(stream(*tokenizer, c.prompt_ids, c.generated_ids, true));
      EXPECT_EQ(after_prompt, c.completion_text);
      const std::string full = decode(*tokenizer, concat(c.prompt_ids, c.generated_ids), true);
      const std::string prompt = decode(*tokenizer, c.prompt_ids, true);
      EXPECT_EQ(after_prompt, full.substr(prompt.size()));
      // Without a context: exactly decode(generated), whose first space the decoder strips.
      EXPECT_EQ(join(stream(*tokenizer, {}, c.generated_ids, true)),
                decode(*tokenizer, c.generated_ids, true));
      // Special tokens kept: the same rule holds.
      EXPECT_EQ(join(stream(*tokenizer, c.prompt_ids, c.generated_ids, false)),
                decode(*tokenizer, concat(c.prompt_ids, c.generated_ids), false)
                    .substr(decode(*tokenizer, c.prompt_ids, false).size()));
    }
  }
}

TEST(IncrementalDetokenizerTest, EmojiOverByteFallbackAppearsOnlyWhenComplete) {
  const auto tokenizer = testing::stories_json();
  const TokenId once = *tokenizer->piece_to_id(
      "\xE2\x96\x81"
      "Once");
  std::vector<TokenId> bytes;
  for (const char* piece : {"<0xF0>", "<0x9F>", "<0x99>", "<0x82>"}) {  // 🙂
    bytes.push_back(*tokenizer->piece_to_id(piece));
  }
  IncrementalDetokenizer detokenizer(*tokenizer, std::vector<TokenId>{1, once}, true);
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    const auto chunk = detokenizer.push(bytes[i]);
    ASSERT_TRUE(chunk.ok());
    EXPECT_EQ(*chunk, "") << "byte " << i << " must be held back";
    EXPECT_EQ(detokenizer.pending_bytes(), i + 1);
  }
  const auto last = detokenizer.push(bytes.back());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, "\xF0\x9F\x99\x82");
  EXPECT_EQ(detokenizer.pending_bytes(), 0u);
  EXPECT_EQ(detokenizer.finish(), "");
}

TEST(IncrementalDetokenizerTest, TruncatedCharacterBecomesOneReplacementAtFinish) {
  const auto tokenizer = testing::stories_json();
  const TokenId f0 = *tokenizer->piece_to_id("<0xF0>");
  const TokenId x9f = *tokenizer->piece_to_id("<0x9F>");
  const TokenId a = *tokenizer->piece_to_id("a");
  IncrementalDetokenizer detokenizer(*tokenizer, {}, true);
  EXPECT_EQ(*detokenizer.push(f0), "");
  EXPECT_EQ(*detokenizer.push(x9f), "");
  // A letter after an incomplete sequence proves it will never complete: U+FFFD, then the letter.
  EXPECT_EQ(*detokenizer.push(a),
            "\xEF\xBF\xBD"
            "a");
  EXPECT_EQ(*detokenizer.push(f0), "");
  EXPECT_EQ(detokenizer.finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(decode(*tokenizer, {f0, x9f, a, f0}),
            "\xEF\xBF\xBD"
            "a\xEF\xBF\xBD");
}

TEST(IncrementalDetokenizerTest, ByteLevelCharactersSplitAcrossTokensAreHeldBack) {
  const auto tokenizer = testing::must(load_tokenizer(testing::fixture_dir() / "qwen2_style"));
  // "東" is E6 9D B1: three byte tokens in a vocabulary that has no merge for it.
  std::vector<TokenId> ids;
  for (const unsigned char byte : std::string("\xE6\x9D\xB1")) {
    std::string mapped;
    utf8_append(mapped, ByteLevel::instance().code_point(byte));
    ids.push_back(*tokenizer->piece_to_id(mapped));
  }
  IncrementalDetokenizer detokenizer(*tokenizer, {}, true);
  EXPECT_EQ(*detokenizer.push(ids[0]), "");
  EXPECT_EQ(*detokenizer.push(ids[1]), "");
  EXPECT_EQ(*detokenizer.push(ids[2]), "\xE6\x9D\xB1");
}

TEST(IncrementalDetokenizerTest, RandomIdsNeverProduceBrokenUtf8) {
  // Random ids make every kind of broken sequence; chunks must stay valid and add up to decode().
  const auto json = testing::stories_json();
  const auto qwen = testing::must(load_tokenizer(testing::fixture_dir() / "qwen2_style"));
  std::mt19937 random(3);
  for (const Tokenizer* tokenizer : {json.get(), qwen.get()}) {
    for (int n = 0; n < 300; ++n) {
      std::vector<TokenId> context(random() % 4);
      std::vector<TokenId> generated(random() % 24);
      for (TokenId& id : context) {
        // Contexts of whole tokens, as a prompt encoded from text would be.
        id = encode(*tokenizer, "Once upon a time")[random() % 4];
      }
      for (TokenId& id : generated) {
        id = static_cast<TokenId>(random() % tokenizer->vocab_size());
      }
      for (const bool skip : {true, false}) {
        const std::string streamed = join(stream(*tokenizer, context, generated, skip));
        const std::string full = decode(*tokenizer, concat(context, generated), skip);
        const std::string prefix = decode(*tokenizer, context, skip);
        ASSERT_TRUE(full.starts_with(prefix));
        EXPECT_EQ(streamed, full.substr(prefix.size()));
      }
    }
  }
}

TEST(IncrementalDetokenizerTest, SkippedSpecialTokensDoNotEatTheNextSpace) {
  const auto tokenizer = testing::stories_json();
  const auto once = encode(*tokenizer, "Once");
  const auto upon = encode(*tokenizer, "upon");
  // <s> Once </s> upon: with specials skipped the stream is " upon" after "Once", as decode says.
  std::vector<TokenId> context = concat({1}, once);
  const std::vector<TokenId> generated = concat({2}, upon);
  EXPECT_EQ(join(stream(*tokenizer, context, generated, true)), " upon");
  EXPECT_EQ(join(stream(*tokenizer, {1}, concat(once, generated), true)), "Once upon");
}

TEST(IncrementalDetokenizerTest, InvalidIdIsAnErrorAndChangesNothing) {
  const auto tokenizer = testing::stories_json();
  IncrementalDetokenizer detokenizer(*tokenizer, std::vector<TokenId>{1}, true);
  const auto bad = detokenizer.push(4096);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("4096"));
  EXPECT_EQ(*detokenizer.push(*tokenizer->piece_to_id("\xE2\x96\x81"
                                                      "Once")),
            "Once");
}

}  // namespace
}  // namespace disaggd::engine
