// Encoding speed of a tokenizer on synthetic text, for the benchmark tool and the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

/// What measure_encode_speed() saw.
struct EncodeSpeed {
  std::size_t bytes = 0;         ///< Bytes of text encoded per run.
  std::size_t tokens = 0;        ///< Tokens per run.
  std::size_t runs = 0;          ///< Runs timed (the first one, cold, is reported apart).
  double first_run_seconds = 0;  ///< The first run, with an empty word cache.
  double seconds = 0;            ///< All timed runs together.
  double tokens_per_second = 0;  ///< tokens * runs / seconds.
  double megabytes_per_second = 0;
};

/// Deterministic synthetic text of about `bytes` bytes (at least 1): English-like words with
/// capitals, punctuation, numbers, contractions, newlines and tabs, and a few accented, CJK and
/// emoji words, so every branch of a pre-tokenizer regex is exercised.
std::string make_benchmark_text(std::size_t bytes, std::uint32_t seed = 1);

/// Encodes `text` (without special tokens) once cold, then repeatedly for at least `min_seconds`,
/// and reports the rate of the repeated runs (what a warm server sees).
core::Result<EncodeSpeed> measure_encode_speed(const Tokenizer& tokenizer, std::string_view text,
                                               double min_seconds = 0.5);

}  // namespace disaggd::engine
