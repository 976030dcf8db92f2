// SamplingParams: how one request wants its next tokens chosen, and the check of their ranges.
#pragma once

#include <cstdint>
#include <optional>

#include "core/status.h"

namespace disaggd::engine {

/// The sampling settings of one request, named as in the OpenAI API (plus vLLM's top_k, min_p and
/// repetition_penalty). The defaults change nothing: plain sampling from the model's softmax.
/// Ranges are checked by validate(); Sampler assumes valid values but never misbehaves on others.
struct SamplingParams {
  /// Divides the logits; 0 (anything below kGreedyTemperature) means greedy. Range [0, 2].
  float temperature = 1.0f;
  /// Keeps the k most likely tokens; -1 or 0 turns it off. Larger than the vocabulary is "off".
  int32_t top_k = -1;
  /// Keeps the smallest set of most likely tokens whose probability adds up to at least top_p.
  /// Range (0, 1]; 1 turns it off.
  float top_p = 1.0f;
  /// Drops tokens less likely than min_p times the most likely one. Range [0, 1]; 0 turns it off.
  float min_p = 0.0f;
  /// Hugging Face style: the logit of every token seen in the prompt or the output is divided by
  /// it when positive and multiplied by it when negative. Range (0, 10]; 1 turns it off.
  float repetition_penalty = 1.0f;
  /// OpenAI style: subtracted once from the logit of every token present in the output.
  /// Range [-2, 2].
  float presence_penalty = 0.0f;
  /// OpenAI style: subtracted from a token's logit once per occurrence in the output.
  /// Range [-2, 2].
  float frequency_penalty = 0.0f;
  /// Seed of the request's random generator; none means a random one.
  std::optional<uint64_t> seed;
  /// How many most likely tokens to report with their log-probabilities at each step. Range
  /// [0, 20].
  int32_t logprobs = 0;
};

/// Temperatures below this mean greedy decoding.
inline constexpr float kGreedyTemperature = 1e-5f;

/// Largest number of top log-probabilities a request may ask for.
inline constexpr int32_t kMaxLogprobs = 20;

/// True when `params` asks for greedy decoding (temperature below kGreedyTemperature).
bool is_greedy(const SamplingParams& params);

/// OK, or kInvalidArgument naming the first parameter out of range. The message starts with the
/// parameter's name as written in an OpenAI request ("temperature must be in [0, 2], got 2.5"),
/// so the HTTP layer can report it as the error's `param`. NaN and infinities are out of range.
core::Status validate(const SamplingParams& params);

}  // namespace disaggd::engine
