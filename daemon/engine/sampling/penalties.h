// Repetition, frequency and presence penalties: changes to the logits of tokens already seen.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace disaggd::engine {

/// Scratch memory of the penalty functions, kept between calls so that a step costs time in the
/// number of ids only (no clearing of a vocabulary-sized array). Not shared between threads.
class PenaltyScratch {
 public:
  /// One counter per token of a vocabulary of `vocab_size`, all zero. Exposed to the penalty
  /// functions, which leave every counter at zero when they return.
  std::vector<uint32_t>& counts(std::size_t vocab_size);

 private:
  std::vector<uint32_t> counts_;
};

/// A token's logit as it was before a penalty changed it.
using OriginalLogit = std::pair<int32_t, float>;

/// Hugging Face's repetition penalty: every distinct token of `prompt_ids` and `output_ids` gets
/// `logit / penalty` when its logit is positive and `logit * penalty` otherwise, once. Ids outside
/// [0, logits.size()) are ignored. When `originals` is given, appends each changed token with its
/// logit before. Does nothing when `penalty` is 1.
void apply_repetition_penalty(std::span<float> logits, float penalty,
                              std::span<const int32_t> prompt_ids,
                              std::span<const int32_t> output_ids, PenaltyScratch& scratch,
                              std::vector<OriginalLogit>* originals);

/// OpenAI's frequency and presence penalties on the output only: a token that occurs `c > 0` times
/// in `output_ids` gets `logit - c * frequency - presence`. Ids outside [0, logits.size()) are
/// ignored. When `originals` is given, appends each changed token with its logit before. Does
/// nothing when both penalties are 0.
void apply_frequency_presence_penalties(std::span<float> logits, float frequency, float presence,
                                        std::span<const int32_t> output_ids,
                                        PenaltyScratch& scratch,
                                        std::vector<OriginalLogit>* originals);

}  // namespace disaggd::engine
