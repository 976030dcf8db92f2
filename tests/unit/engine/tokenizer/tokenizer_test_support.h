// Shared helpers of the tokenizer tests: fixture paths, the stories260K reference cases, loading.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_config.h"
#include "engine/tokenizer/tokenizer_loader.h"
#include "engine/tokenizer/utf8.h"

namespace disaggd::engine::testing {

inline std::filesystem::path model_dir() {
  return DISAGGD_TEST_MODEL_DIR;
}
inline std::filesystem::path fixture_dir() {
  return std::filesystem::path(DISAGGD_TEST_SOURCE_DIR) / "tests" / "fixtures" / "tokenizers";
}

inline nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return nlohmann::json::parse(content.str());
}

/// One greedy generation of stories260K's reference.json.
struct ReferenceCase {
  std::string prompt;
  std::vector<TokenId> prompt_ids;
  std::vector<TokenId> generated_ids;
  std::string output_text;
  std::string completion_text;
};

inline std::vector<ReferenceCase> reference_cases() {
  std::vector<ReferenceCase> cases;
  const nlohmann::json reference = read_json(model_dir() / "reference.json");
  for (const auto& c : reference["cases"]) {
    cases.push_back({c["prompt"].get<std::string>(), c["prompt_ids"].get<std::vector<TokenId>>(),
                     c["generated_ids"].get<std::vector<TokenId>>(),
                     c["output_text"].get<std::string>(), c["completion_text"].get<std::string>()});
  }
  return cases;
}

/// Loads a tokenizer, failing the test with the error when it cannot.
inline std::unique_ptr<Tokenizer> must(core::Result<std::unique_ptr<Tokenizer>> loaded) {
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.ok() ? std::move(loaded).value() : nullptr;
}

inline TokenizerConfig stories_config() {
  core::Result<TokenizerConfig> config =
      read_tokenizer_config(model_dir() / "tokenizer_config.json");
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : TokenizerConfig{};
}

/// stories260K's tokenizer.json with its tokenizer_config.json.
inline std::unique_ptr<Tokenizer> stories_json() {
  const TokenizerConfig config = stories_config();
  return must(load_tokenizer_json(model_dir() / "tokenizer.json", &config));
}

/// stories260K's tokenizer.model with its tokenizer_config.json.
inline std::unique_ptr<Tokenizer> stories_model() {
  const TokenizerConfig config = stories_config();
  return must(load_sentencepiece_model(model_dir() / "tokenizer.model", &config));
}

/// The ids of `text`, failing the test on error.
inline std::vector<TokenId> encode(const Tokenizer& tokenizer, std::string_view text,
                                   bool add_special_tokens = false) {
  core::Result<std::vector<TokenId>> ids = tokenizer.encode(text, add_special_tokens);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() ? *ids : std::vector<TokenId>{};
}

/// The text of `ids`, failing the test on error.
inline std::string decode(const Tokenizer& tokenizer, const std::vector<TokenId>& ids,
                          bool skip_special_tokens = false) {
  core::Result<std::string> text = tokenizer.decode(ids, skip_special_tokens);
  EXPECT_TRUE(text.ok()) << text.status().message();
  return text.ok() ? *text : std::string();
}

/// Text for round trips: Unicode of several scripts, accents, emoji (with modifiers and ZWJ),
/// whitespace runs, tabs, newlines, CR LF, and punctuation.
inline std::vector<std::string> round_trip_corpus() {
  return {
      "Hello world",
      "Once upon a time, there was a little girl named Lily.",
      "café naïve Zürich résumé crème brûlée",
      "東京は日本の首都です。上海市は中国の都市です。",
      "한국어 텍스트도 있습니다.",
      "Ελληνικά κείμενα. Русский текст. עברית. العربية",
      "Emoji 🙂🚀 👍🏽 👨‍👩‍👧 ❤️ 🇫🇷 done",
      "tabs\tand\nnewlines\r\n\r\nend",
      "spaces:  two   three    four",
      "a\n\n\nb",
      "def f(x):\n    return x ** 2  # square\n",
      "I'M here, you'RE there; they'll see, it'S fine.",
      "numbers 1234567 and 3.14159 and 2024-11-26",
      "!!!??? ... --- ### $$$ %%% &&& *** \\\\ ~~~",
      "math: ∀x∈ℝ, x² ≥ 0; ½ ⅓ ¼",
      "x",
      "ǅ ǈ ǋ ﬁ ﬂ",                         // compatibility characters NFC keeps
      "\xF0\x9F\x98\x80\xF0\x9F\x98\x81",  // 😀😁
  };
}

}  // namespace disaggd::engine::testing
