// Encoding speed: a seeded text generator and a timing loop.
#include "engine/tokenizer/tokenizer_benchmark.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <random>

namespace disaggd::engine {

std::string make_benchmark_text(std::size_t bytes, std::uint32_t seed) {
  static constexpr std::array<std::string_view, 48> kWords = {
      "the",    "a",       "of",        "and",    "to",       "in",      "is",         "was",
      "that",   "it",      "for",       "on",     "with",     "as",      "model",      "serving",
      "token",  "prefill", "decode",    "cache",  "latency",  "request", "throughput", "batch",
      "memory", "kernel",  "attention", "layer",  "Shanghai", "Once",    "upon",       "time",
      "little", "girl",    "named",     "Lily",   "don't",    "we'll",   "it's",       "café",
      "naïve",  "Zürich",  "東京",      "上海市", "데이터",   "🙂",    "🚀",          "日本語"};
  static constexpr std::array<std::string_view, 8> kPunctuation = {",", ".", "!",  "?",
                                                                   ";", ":", " -", " ("};
  std::mt19937 random(seed);
  std::string text;
  text.reserve(bytes + 32);
  bool sentence_start = true;
  while (text.size() < std::max<std::size_t>(bytes, 1)) {
    const std::uint32_t roll = random() % 100;
    if (roll < 6) {
      text += std::to_string(random() % 100000);
    } else {
      std::string word(kWords[random() % kWords.size()]);
      if (sentence_start && word[0] >= 'a' && word[0] <= 'z') {
        word[0] = static_cast<char>(word[0] - 'a' + 'A');
      }
      text += word;
    }
    sentence_start = false;
    const std::uint32_t after = random() % 100;
    if (after < 8) {
      text += kPunctuation[random() % kPunctuation.size()];
      sentence_start = after < 3;
    }
    if (after == 8) {
      text += "\n\n";
    } else if (after == 9) {
      text += "\n\t";
    } else if (after == 10) {
      text += "   ";
    } else {
      text += ' ';
    }
  }
  return text;
}

core::Result<EncodeSpeed> measure_encode_speed(const Tokenizer& tokenizer, std::string_view text,
                                               double min_seconds) {
  using Clock = std::chrono::steady_clock;
  EncodeSpeed speed;
  speed.bytes = text.size();
  const auto cold_start = Clock::now();
  core::Result<std::vector<TokenId>> first = tokenizer.encode(text, false);
  if (!first.ok()) {
    return first.status();
  }
  speed.first_run_seconds = std::chrono::duration<double>(Clock::now() - cold_start).count();
  speed.tokens = first->size();
  const auto start = Clock::now();
  do {
    core::Result<std::vector<TokenId>> ids = tokenizer.encode(text, false);
    if (!ids.ok()) {
      return ids.status();
    }
    ++speed.runs;
    speed.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  } while (speed.seconds < min_seconds);
  if (speed.seconds > 0) {
    speed.tokens_per_second =
        static_cast<double>(speed.tokens) * static_cast<double>(speed.runs) / speed.seconds;
    speed.megabytes_per_second =
        static_cast<double>(speed.bytes) * static_cast<double>(speed.runs) / speed.seconds / 1e6;
  }
  return speed;
}

}  // namespace disaggd::engine
