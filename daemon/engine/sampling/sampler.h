// Sampler: picks the next token of a sequence from the model's logits.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/sampling/nucleus.h"
#include "engine/sampling/penalties.h"
#include "engine/sampling/sampling_params.h"
#include "engine/sampling/sequence_rng.h"

namespace disaggd::engine {

/// A token id with a log-probability.
using TokenLogprob = std::pair<int32_t, float>;

/// The token chosen at one step, with the log-probabilities the OpenAI API reports.
///
/// Log-probabilities are those of the model's raw distribution, log_softmax(logits) before any
/// penalty, temperature or filter, so they describe the model and not the request's settings
/// (vLLM's default "raw_logprobs"). They are clamped to -9999 from below, the value OpenAI uses
/// for "very unlikely", so they are always finite.
struct SampledToken {
  int32_t id = -1;    ///< The chosen token.
  float logprob = 0;  ///< Its raw log-probability.
  /// The params.logprobs most likely tokens of the raw distribution, most likely first (lower id
  /// first on ties); empty when params.logprobs is 0.
  std::vector<TokenLogprob> top_logprobs;
};

/// Chooses tokens. Processing order, as in vLLM and Hugging Face:
///   1. NaN logits become -inf and +inf becomes the largest float; if every logit is -inf, all
///      are taken as equal;
///   2. repetition penalty (prompt and output tokens), then frequency and presence penalties
///      (output tokens only);
///   3. greedy (temperature below kGreedyTemperature): the largest logit, lowest id on ties;
///   4. otherwise temperature, then the top_k, top_p and min_p filters, each on the distribution
///      the previous one left (renormalised), and a draw from what remains.
/// Nothing sorts the whole vocabulary: top_k uses a bounded heap (or a partition for large k),
/// top_p first tries the 64 most likely tokens and otherwise finds its cut-off by a weighted
/// quickselect (linear time); passes over the vocabulary are vectorised (logit_kernels.h). An
/// instance keeps scratch memory between calls and serves one thread at a time.
class Sampler {
 public:
  /// Chooses the next token. `logits` has one value per vocabulary entry (at least one) and is
  /// modified: step 1 and the penalties are applied in place (temperature and filters are not).
  /// `params` should pass validate(); other values are handled without harm, not trusted.
  /// Prompt and output ids outside the vocabulary are ignored. Draws one number from `rng` unless
  /// greedy, so the same seed and logits give the same tokens. Costs O(vocabulary + prompt +
  /// output) time, reusing the instance's scratch memory. With an empty `logits`
  /// returns id -1.
  SampledToken sample(std::span<float> logits, const SamplingParams& params,
                      std::span<const int32_t> prompt_ids, std::span<const int32_t> output_ids,
                      SequenceRng& rng);

  /// The distribution sample() draws from, after steps 1-4: the tokens it can return with their
  /// probabilities, by increasing id (tokens of probability 0 left out). Greedy gives one token
  /// of probability 1. For tests and debugging; modifies `logits` as sample() does.
  std::vector<TokenLogprob> distribution(std::span<float> logits, const SamplingParams& params,
                                         std::span<const int32_t> prompt_ids,
                                         std::span<const int32_t> output_ids);

 private:
  /// Step 2; with `record`, remembers the logits the penalties change in originals_.
  void apply_penalties(std::span<float> logits, const SamplingParams& params,
                       std::span<const int32_t> prompt_ids, std::span<const int32_t> output_ids,
                       bool record);
  /// Step 4 up to the draw: fills all_, weights_ or candidates_ and candidate_weights_, and
  /// total_.
  void build_distribution(std::span<const float> logits, const SamplingParams& params);
  /// top_p when every token is still a candidate and weights_ holds their weights.
  void nucleus_of_all(std::span<const float> logits, float top_p);
  /// top_p on candidates_ sorted in ranks_before() order: keeps the shortest prefix reaching it.
  void nucleus_of_candidates(float top_p);
  /// Drops the candidates whose weight is below min_p (weights are relative to the best token).
  void min_p_of_candidates(float min_p);
  /// Sets candidate_weights_ from weights_ and total_ from them.
  void gather_candidate_weights();
  /// Draws a token from the distribution build_distribution() left.
  int32_t draw(SequenceRng& rng) const;
  /// The logit of `id` before the penalties.
  float raw_logit(std::span<const float> logits, int32_t id) const;

  PenaltyScratch penalty_scratch_;
  NucleusScratch nucleus_scratch_;
  std::vector<OriginalLogit> originals_;  ///< Logits before the penalties changed them
  /// When true, every token is a candidate and weights_[id] is its weight (0 for tokens min_p
  /// removed); otherwise the candidates are candidates_, with candidate_weights_ (same order).
  bool all_ = true;
  std::vector<float> weights_;
  std::vector<int32_t> candidates_;
  std::vector<float> candidate_weights_;
  std::vector<int32_t> selection_;  ///< Scratch for top selections
  double total_ = 0;                ///< Sum of the candidates' weights
};

}  // namespace disaggd::engine
