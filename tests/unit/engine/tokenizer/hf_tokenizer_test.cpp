// HfTokenizer: tokenizer.json BPE, SentencePiece-style (stories260K) and byte-level (fixtures made
// by tests/fixtures/tokenizers/make_byte_level_bpe.py with an independent Python encoder).
#include "engine/tokenizer/hf_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "engine/tokenizer/unicode_nfc.h"
#include "support/temp_dir.h"
#include "tokenizer_test_support.h"

namespace disaggd::engine {
namespace {

using testing::decode;
using ::testing::ElementsAre;
using testing::encode;
using ::testing::HasSubstr;

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --- stories260K tokenizer.json (Llama 2 layout: Prepend/Replace, byte fallback) -------------

TEST(HfTokenizerStoriesTest, PromptIdsAndOutputTextMatchTheReference) {
  const auto tokenizer = testing::stories_json();
  ASSERT_NE(tokenizer, nullptr);
  const auto cases = testing::reference_cases();
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& c : cases) {
    EXPECT_EQ(encode(*tokenizer, c.prompt, true), c.prompt_ids) << c.prompt;
    EXPECT_EQ(decode(*tokenizer, concat(c.prompt_ids, c.generated_ids), true), c.output_text);
  }
}

TEST(HfTokenizerStoriesTest, BosComesFromTheTemplateAndTheConfig) {
  const auto with_config = testing::stories_json();
  EXPECT_EQ(with_config->bos_id(), 1);
  EXPECT_EQ(with_config->eos_id(), 2);
  EXPECT_EQ(with_config->unk_id(), 0);
  EXPECT_THAT(with_config->specials().prefix, ElementsAre(1));
  EXPECT_TRUE(with_config->specials().suffix.empty());
  EXPECT_EQ(encode(*with_config, "Once", true).front(), 1);
  EXPECT_NE(encode(*with_config, "Once", false).front(), 1);

  // Without tokenizer_config.json the post-processor's "<s> $A" template still adds BOS.
  const auto bare = testing::must(load_tokenizer_json(testing::model_dir() / "tokenizer.json"));
  EXPECT_THAT(bare->specials().prefix, ElementsAre(1));
  EXPECT_EQ(bare->bos_id(), 1);

  // add_bos_token / add_eos_token in the config override the template, as transformers does.
  TokenizerConfig config = testing::stories_config();
  config.add_bos_token = false;
  config.add_eos_token = true;
  const auto flipped =
      testing::must(load_tokenizer_json(testing::model_dir() / "tokenizer.json", &config));
  const auto ids = encode(*flipped, "Once upon", true);
  EXPECT_NE(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
}

TEST(HfTokenizerStoriesTest, RoundTripIsExactForAnyText) {
  // Prepend("▁") + Replace(" " -> "▁") is undone by the decoder (Replace back, Strip one space),
  // and byte fallback covers every character outside the 512 pieces.
  const auto tokenizer = testing::stories_json();
  auto corpus = testing::round_trip_corpus();
  corpus.push_back(" leading space");
  corpus.push_back("  two leading, two trailing  ");
  corpus.push_back("");
  for (const std::string& text : corpus) {
    EXPECT_EQ(decode(*tokenizer, encode(*tokenizer, text, true), true), text) << text;
  }
}

TEST(HfTokenizerStoriesTest, CharactersOutsideTheVocabularyBecomeByteTokens) {
  const auto tokenizer = testing::stories_json();
  // "😀" is F0 9F 98 80; the piece "▁" comes first (Prepend).
  const auto ids = encode(*tokenizer, "\xF0\x9F\x98\x80");
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(tokenizer->token_to_piece(ids[0]), "\xE2\x96\x81");
  EXPECT_EQ(tokenizer->token_to_piece(ids[1]), "<0xF0>");
  EXPECT_EQ(tokenizer->token_to_piece(ids[2]), "<0x9F>");
  EXPECT_EQ(tokenizer->token_to_piece(ids[3]), "<0x98>");
  EXPECT_EQ(tokenizer->token_to_piece(ids[4]), "<0x80>");
  // Three of the four bytes alone do not make a character: decode repairs them to one U+FFFD.
  EXPECT_EQ(decode(*tokenizer, {ids[1], ids[2], ids[3]}), "\xEF\xBF\xBD");
}

TEST(HfTokenizerStoriesTest, SpecialTokensInTheTextBecomeOneId) {
  const auto tokenizer = testing::stories_json();
  const auto ids = encode(*tokenizer, "<s>Hi</s>");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(decode(*tokenizer, ids, true), "Hi");
  EXPECT_EQ(decode(*tokenizer, ids, false), "<s> Hi</s>");  // as transformers prints it
  // Each piece between added tokens gets its own "▁" (the "legacy" Llama behavior).
  EXPECT_EQ(encode(*tokenizer, "a<s>b"),
            concat(concat(encode(*tokenizer, "a"), {1}), encode(*tokenizer, "b")));
  EXPECT_TRUE(tokenizer->is_special(0));
  EXPECT_TRUE(tokenizer->is_special(1));
  EXPECT_TRUE(tokenizer->is_special(2));
  EXPECT_FALSE(tokenizer->is_special(3));
}

TEST(HfTokenizerStoriesTest, LookupsGoBothWays) {
  const auto tokenizer = testing::stories_json();
  EXPECT_EQ(tokenizer->vocab_size(), 512u);
  EXPECT_EQ(tokenizer->piece_to_id("\xE2\x96\x81the"), 265);
  EXPECT_EQ(tokenizer->token_to_piece(265), "\xE2\x96\x81the");
  EXPECT_EQ(tokenizer->piece_to_id("<s>"), 1);
  EXPECT_EQ(tokenizer->piece_to_id("no such piece"), std::nullopt);
  EXPECT_EQ(tokenizer->token_to_piece(512), std::nullopt);
  EXPECT_EQ(tokenizer->token_to_piece(-1), std::nullopt);
}

// --- byte-level fixtures ------------------------------------------------------------------

class HfTokenizerByteLevelTest : public ::testing::Test {
 protected:
  static std::unique_ptr<Tokenizer> qwen2_style() {
    const std::filesystem::path dir = testing::fixture_dir() / "qwen2_style";
    return testing::must(load_tokenizer(dir));
  }
  static std::unique_ptr<Tokenizer> gpt2_style() {
    return testing::must(
        load_tokenizer_json(testing::fixture_dir() / "gpt2_style" / "tokenizer.json"));
  }
  static const nlohmann::json& expected() {
    static const nlohmann::json json = testing::read_json(testing::fixture_dir() / "expected.json");
    return json;
  }
};

TEST_F(HfTokenizerByteLevelTest, Qwen2StyleIdsMatchTheIndependentReference) {
  const auto tokenizer = qwen2_style();
  ASSERT_NE(tokenizer, nullptr);
  std::size_t cases = 0;
  for (const auto& c : expected()["qwen2_style"]) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(encode(*tokenizer, text, true), c["ids"].get<std::vector<TokenId>>()) << text;
    ++cases;
  }
  EXPECT_GE(cases, 25u);
}

TEST_F(HfTokenizerByteLevelTest, Gpt2StyleIdsMatchTheIndependentReference) {
  const auto tokenizer = gpt2_style();
  ASSERT_NE(tokenizer, nullptr);
  for (const auto& c : expected()["gpt2_style"]) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(encode(*tokenizer, text, true), c["ids"].get<std::vector<TokenId>>()) << text;
  }
}

TEST_F(HfTokenizerByteLevelTest, HandCheckedPieces) {
  const auto tokenizer = qwen2_style();
  // Qwen2's regex keeps a leading space with the word and splits digits one by one; the space
  // byte maps to "Ġ" and the newline to "Ċ".
  const auto ids = encode(*tokenizer, " the 42\n");
  std::vector<std::string> pieces;
  for (const TokenId id : ids) {
    pieces.push_back(tokenizer->token_to_piece(id).value_or("?"));
  }
  EXPECT_THAT(pieces, ElementsAre("\xC4\xA0the", "\xC4\xA0", "4", "2", "\xC4\x8A"));
}

TEST_F(HfTokenizerByteLevelTest, SpecialTokensAreOneIdAndSkippable) {
  const auto tokenizer = qwen2_style();
  const TokenId im_start = *tokenizer->piece_to_id("<|im_start|>");
  const TokenId im_end = *tokenizer->piece_to_id("<|im_end|>");
  const TokenId eot = *tokenizer->piece_to_id("<|endoftext|>");
  const TokenId think = *tokenizer->piece_to_id("<think>");
  EXPECT_THAT(encode(*tokenizer, "<|im_start|>"), ElementsAre(im_start));
  EXPECT_THAT(encode(*tokenizer, "<|im_end|><|endoftext|>"), ElementsAre(im_end, eot));
  EXPECT_GT(encode(*tokenizer, "<|im_start").size(), 1u);  // not the token: plain text
  EXPECT_TRUE(tokenizer->is_special(im_start));
  EXPECT_TRUE(tokenizer->is_special(eot));
  EXPECT_FALSE(tokenizer->is_special(think));  // added but not special, as in Qwen3

  const std::string chat = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n";
  const auto ids = encode(*tokenizer, chat, true);
  EXPECT_EQ(ids.front(), im_start);  // Qwen adds no BOS
  EXPECT_EQ(decode(*tokenizer, ids, false), chat);
  EXPECT_EQ(decode(*tokenizer, ids, true), "user\nHi\nassistant\n<think>\n");

  EXPECT_EQ(tokenizer->bos_id(), std::nullopt);
  EXPECT_EQ(tokenizer->eos_id(), im_end);  // eos_token of tokenizer_config.json
  EXPECT_TRUE(tokenizer->specials().prefix.empty());
  EXPECT_EQ(tokenizer->vocab_size(), static_cast<std::size_t>(think) + 2);
}

TEST_F(HfTokenizerByteLevelTest, RoundTripIsExactModuloNfc) {
  const auto qwen2 = qwen2_style();
  const auto gpt2 = gpt2_style();
  auto corpus = testing::round_trip_corpus();
  corpus.push_back("<|im_start|>user\n<|im_end|> <|endoftext|>x");
  corpus.push_back("cafe\xCC\x81");  // decomposed é
  for (const std::string& text : corpus) {
    EXPECT_EQ(decode(*gpt2, encode(*gpt2, text), false), text) << text;
    EXPECT_EQ(decode(*qwen2, encode(*qwen2, text), false), nfc_normalize(text)) << text;
  }
  EXPECT_EQ(decode(*qwen2, encode(*qwen2, "cafe\xCC\x81")), "caf\xC3\xA9");
}

TEST_F(HfTokenizerByteLevelTest, RoundTripIsExactForRandomUnicode) {
  const auto gpt2 = gpt2_style();
  std::mt19937 random(7);
  std::uniform_int_distribution<std::uint32_t> plane(0, 9);
  for (int n = 0; n < 300; ++n) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) {
      char32_t cp = 0;
      const std::uint32_t kind = plane(random);
      if (kind < 4) {
        cp = 0x20 + random() % 0x60;  // ASCII
      } else if (kind < 6) {
        cp = "\t\n\r  "[random() % 5];
      } else if (kind < 8) {
        cp = 0x80 + random() % 0xD780;  // BMP below the surrogates
      } else {
        cp = 0x10000 + random() % 0x10000;  // emoji and supplementary planes
      }
      utf8_append(text, cp);
    }
    EXPECT_EQ(decode(*gpt2, encode(*gpt2, text)), text);
  }
}

// --- hand-made tokenizer.json files for one feature each ------------------------------------

/// A word-level vocabulary: single characters plus whole words, ignore_merges, no merges, so the
/// ids show exactly where the pre-tokenizer cut.
nlohmann::json word_tokenizer(const std::vector<std::string>& words) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int c = 0x20; c < 0x7F; ++c) {
    vocab[std::string(1, static_cast<char>(c))] = static_cast<int>(vocab.size());
  }
  vocab["\xE2\x96\x81"] = static_cast<int>(vocab.size());
  for (const std::string& word : words) {
    vocab[word] = static_cast<int>(vocab.size());
  }
  return {{"version", "1.0"},
          {"added_tokens", nlohmann::json::array()},
          {"normalizer", nullptr},
          {"pre_tokenizer", nullptr},
          {"post_processor", nullptr},
          {"decoder", {{"type", "Fuse"}}},
          {"model",
           {{"type", "BPE"},
            {"vocab", vocab},
            {"merges", nlohmann::json::array()},
            {"ignore_merges", true}}}};
}

class HfTokenizerFeatureTest : public ::testing::Test {
 protected:
  std::unique_ptr<Tokenizer> load(const nlohmann::json& json) {
    return testing::must(load_tokenizer_json(dir_.write("tokenizer.json", json.dump())));
  }
  /// The pieces `text` encodes to.
  static std::vector<std::string> pieces(const Tokenizer& tokenizer, const std::string& text) {
    std::vector<std::string> out;
    for (const TokenId id : encode(tokenizer, text)) {
      out.push_back(tokenizer.token_to_piece(id).value_or("?"));
    }
    return out;
  }

  disaggd::testing::TempDir dir_;
};

TEST_F(HfTokenizerFeatureTest, SplitBehaviors) {
  nlohmann::json json = word_tokenizer({"ab", "cd", "ab-", "-cd", "--"});
  auto split = [&](const std::string& behavior, bool invert, const std::string& pattern) {
    json["pre_tokenizer"] = {{"type", "Split"},
                             {"pattern", {{"String", pattern}}},
                             {"behavior", behavior},
                             {"invert", invert}};
    return load(json);
  };
  EXPECT_THAT(pieces(*split("Removed", false, "-"), "ab-cd"), ElementsAre("ab", "cd"));
  EXPECT_THAT(pieces(*split("Isolated", false, "-"), "ab-cd"), ElementsAre("ab", "-", "cd"));
  EXPECT_THAT(pieces(*split("MergedWithPrevious", false, "-"), "ab-cd"), ElementsAre("ab-", "cd"));
  EXPECT_THAT(pieces(*split("MergedWithNext", false, "-"), "ab-cd"), ElementsAre("ab", "-cd"));
  EXPECT_THAT(pieces(*split("Contiguous", false, "-"), "ab--cd"), ElementsAre("ab", "--", "cd"));
  EXPECT_THAT(pieces(*split("Isolated", false, "-"), "ab--cd"), ElementsAre("ab", "-", "-", "cd"));
  // Inverted: the pattern marks what to keep; the rest is the delimiter.
  EXPECT_THAT(pieces(*split("MergedWithPrevious", true, "-"), "ab-cd"), ElementsAre("ab", "-cd"));
}

TEST_F(HfTokenizerFeatureTest, RegexSplitAndDigits) {
  nlohmann::json json = word_tokenizer({"ab", "cd", "12", "345"});
  json["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "Removed"}},
        {{"type", "Digits"}, {"individual_digits", false}}}}};
  EXPECT_THAT(pieces(*load(json), "ab  cd12"), ElementsAre("ab", "cd", "12"));
  json["pre_tokenizer"]["pretokenizers"][1]["individual_digits"] = true;
  EXPECT_THAT(pieces(*load(json), "345"), ElementsAre("3", "4", "5"));
}

TEST_F(HfTokenizerFeatureTest, MetaspacePrependSchemes) {
  const std::string bar = "\xE2\x96\x81";
  nlohmann::json json = word_tokenizer({bar + "ab", bar + "cd", "cd"});
  json["added_tokens"] = {{{"id", 500}, {"content", "<x>"}, {"special", true}}};
  json["decoder"] = {{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "always"}};
  json["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "always"}, {"split", true}};
  EXPECT_THAT(pieces(*load(json), "ab cd"), ElementsAre(bar + "ab", bar + "cd"));
  EXPECT_THAT(pieces(*load(json), "<x>cd"), ElementsAre("<x>", bar + "cd"));
  // "first": only the text at the very start of the input gets the prefix.
  json["pre_tokenizer"]["prepend_scheme"] = "first";
  EXPECT_THAT(pieces(*load(json), "<x>cd"), ElementsAre("<x>", "cd"));
  EXPECT_THAT(pieces(*load(json), "ab"), ElementsAre(bar + "ab"));
  json["pre_tokenizer"]["prepend_scheme"] = "never";
  EXPECT_THAT(pieces(*load(json), "cd"), ElementsAre("cd"));
  // The decoder drops the replacement of the first token and turns the others into spaces.
  json["pre_tokenizer"]["prepend_scheme"] = "always";
  const auto tokenizer = load(json);
  EXPECT_EQ(decode(*tokenizer, encode(*tokenizer, "ab cd")), "ab cd");
}

TEST_F(HfTokenizerFeatureTest, IgnoreMergesFuseUnkAndUnknownCharacters) {
  nlohmann::json json = {
      {"model",
       {{"type", "BPE"},
        {"vocab", {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"c", 3}, {"bc", 4}, {"abc", 5}}},
        {"merges", {"b c"}},
        {"unk_token", "<unk>"},
        {"fuse_unk", true}}}};
  // BPE merges b+c; "a bc" has no merge, so "abc" is [a, bc] ...
  EXPECT_THAT(encode(*load(json), "abc"), ElementsAre(1, 4));
  // ... unless ignore_merges takes a word found in the vocabulary whole.
  json["model"]["ignore_merges"] = true;
  EXPECT_THAT(encode(*load(json), "abc"), ElementsAre(5));
  // Unknown characters: one <unk> per run with fuse_unk, one each without.
  EXPECT_THAT(encode(*load(json), "xyza"), ElementsAre(0, 1));
  json["model"]["fuse_unk"] = false;
  EXPECT_THAT(encode(*load(json), "xyza"), ElementsAre(0, 0, 0, 1));
  // Without an unk token they are dropped, as Hugging Face does.
  json["model"].erase("unk_token");
  EXPECT_THAT(encode(*load(json), "xyza"), ElementsAre(1));
}

TEST_F(HfTokenizerFeatureTest, MergesAsPairsAndRanksDecideTheOrder) {
  nlohmann::json json = {
      {"model",
       {{"type", "BPE"},
        {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}}},
        {"merges", nlohmann::json::array(
                       {nlohmann::json::array({"b", "c"}), nlohmann::json::array({"a", "b"})})}}}};
  EXPECT_THAT(encode(*load(json), "abc"), ElementsAre(0, 4));  // "b c" ranks first
  json["model"]["merges"] =
      nlohmann::json::array({nlohmann::json::array({"a", "b"}), nlohmann::json::array({"b", "c"})});
  EXPECT_THAT(encode(*load(json), "abc"), ElementsAre(3, 2));
}

TEST_F(HfTokenizerFeatureTest, AddedTokenStripAndNormalizedFlags) {
  nlohmann::json json = word_tokenizer({"AB"});
  json["added_tokens"] = {
      {{"id", 600}, {"content", "<m>"}, {"lstrip", true}, {"rstrip", true}, {"special", true}},
      {{"id", 601}, {"content", "AB"}, {"normalized", true}, {"special", false}}};
  json["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", "a(b)?"}}}, {"content", "AB"}};
  const auto tokenizer = load(json);
  // lstrip/rstrip swallow the spaces around <m>.
  EXPECT_THAT(pieces(*tokenizer, "x  <m>  y"), ElementsAre("x", "<m>", "y"));
  // "ab" is normalized to "AB", which then matches the normalized added token 601.
  EXPECT_THAT(encode(*tokenizer, "ab"), ElementsAre(601));
  EXPECT_THAT(encode(*tokenizer, "a"), ElementsAre(601));
}

TEST_F(HfTokenizerFeatureTest, TemplateProcessingPrefixAndSuffix) {
  nlohmann::json json = word_tokenizer({});
  json["added_tokens"] = {{{"id", 700}, {"content", "[CLS]"}, {"special", true}},
                          {{"id", 701}, {"content", "[SEP]"}, {"special", true}}};
  json["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single",
       {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
        {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
      {"special_tokens",
       {{"[CLS]", {{"id", "[CLS]"}, {"ids", {700}}, {"tokens", {"[CLS]"}}}},
        {"[SEP]", {{"id", "[SEP]"}, {"ids", {701}}, {"tokens", {"[SEP]"}}}}}}};
  const auto tokenizer = load(json);
  EXPECT_THAT(encode(*tokenizer, "a", true), ElementsAre(700, *tokenizer->piece_to_id("a"), 701));
  EXPECT_THAT(encode(*tokenizer, "a", false), ElementsAre(*tokenizer->piece_to_id("a")));
  EXPECT_EQ(tokenizer->bos_id(), 700);
  EXPECT_EQ(tokenizer->eos_id(), 701);
}

TEST_F(HfTokenizerFeatureTest, DecodeRejectsIdsWithoutToken) {
  const auto tokenizer = testing::stories_json();
  for (const TokenId id : {-1, 512, 100000}) {
    const auto text = tokenizer->decode(std::vector<TokenId>{265, id}, false);
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_THAT(text.status().message(), HasSubstr("token id " + std::to_string(id)));
  }
  // An id inside the range with no token (a gap in the vocabulary).
  nlohmann::json json = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 2}}}}}};
  const auto gappy = load(json);
  EXPECT_EQ(gappy->vocab_size(), 3u);
  const auto text = gappy->decode(std::vector<TokenId>{1}, false);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), HasSubstr("has no token"));
}

TEST_F(HfTokenizerFeatureTest, EncodeRejectsInvalidUtf8) {
  const auto tokenizer = testing::stories_json();
  const auto ids = tokenizer->encode("ok\xC3(", false);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(ids.status().message(), HasSubstr("byte 2"));
}

TEST_F(HfTokenizerFeatureTest, ConcurrentEncodesAgree) {
  const auto tokenizer = testing::must(load_tokenizer(testing::fixture_dir() / "qwen2_style"));
  const std::string text = "Once upon a time, 東京 🙂 there was a little girl named Lily.";
  const auto want = encode(*tokenizer, text);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto ids = tokenizer->encode(text + std::to_string(i % 7), false);
        if (!ids.ok() || ids->size() < want.size() ||
            !std::equal(want.begin(), want.end(), ids->begin())) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(mismatches.load(), 0);
}

// --- the synthetic model maker's tokenizer (tools/model) ------------------------------------

/// Output of a shell command, or nullopt when it fails.
std::optional<std::string> run_command(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return std::nullopt;
  }
  std::string out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    out.append(buffer, n);
  }
  return ::pclose(pipe) == 0 ? std::optional<std::string>(out) : std::nullopt;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

TEST(HfTokenizerSyntheticModelTest, MakerTokenizerMatchesItsPythonOracle) {
  const std::filesystem::path tools =
      std::filesystem::path(DISAGGD_TEST_SOURCE_DIR) / "tools" / "model";
  if (!std::filesystem::exists(tools / "make_synthetic_model.py") ||
      !std::filesystem::exists(tools / "bpe.py")) {
    GTEST_SKIP() << "tools/model has no synthetic model maker";
  }
  disaggd::testing::TempDir dir;
  const std::string python = DISAGGD_TEST_PYTHON;
  ASSERT_TRUE(run_command(python + " " + shell_quote((tools / "make_synthetic_model.py").string()) +
                          " " + shell_quote(dir.path().string()) +
                          " --preset qwen3-tiny --seed 1 > /dev/null"));
  const auto tokenizer = testing::must(load_tokenizer(dir.path()));
  ASSERT_NE(tokenizer, nullptr);
  for (const std::string text :
       {"Hello <|im_start|>world \xF0\x9F\x98\x80 caf\xC3\xA9",
        "<|im_start|>user\nWhat's the time?<|im_end|>\n<|im_start|>assistant\n",
        "The prefill node runs the prompt; the decode node streams the answer.",
        "numbers 1234 and   spaces\t\ttabs\n\nnewlines", "cafe\xCC\x81 \xE6\x9D\xB1\xE4\xBA\xAC"}) {
    const auto oracle =
        run_command(python + " " + shell_quote((tools / "bpe.py").string()) + " " +
                    shell_quote(dir.path().string()) + " --encode " + shell_quote(text));
    ASSERT_TRUE(oracle) << text;
    EXPECT_EQ(encode(*tokenizer, text, true),
              nlohmann::json::parse(*oracle).get<std::vector<TokenId>>())
        << text;
    EXPECT_EQ(decode(*tokenizer, encode(*tokenizer, text)), nfc_normalize(text));
  }
}

}  // namespace
}  // namespace disaggd::engine
