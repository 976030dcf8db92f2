// The sampling pipeline: sanitise, penalise, then greedy or temperature + filters + draw.
#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/sampling/logit_kernels.h"
#include "engine/sampling/top_select.h"

namespace disaggd::engine {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

/// Log-probabilities are reported no lower than this (OpenAI's "very unlikely").
constexpr float kLowestLogprob = -9999.0f;

/// How many of the most likely tokens top_p looks at before its linear-time search: the
/// nucleus of a confident model usually lies within them.
constexpr std::size_t kNucleusHead = 64;

/// Step 1 (see Sampler). Returns the largest logit afterwards.
float sanitize(std::span<float> logits) {
  const float largest = sanitize_logits(logits);
  if (largest == -kInfinity) {
    std::fill(logits.begin(), logits.end(), 0.0f);
    return 0.0f;
  }
  return largest;
}

float clamp_logprob(double logprob) {
  return static_cast<float>(std::max(logprob, static_cast<double>(kLowestLogprob)));
}

}  // namespace

SampledToken Sampler::sample(std::span<float> logits, const SamplingParams& params,
                             std::span<const int32_t> prompt_ids,
                             std::span<const int32_t> output_ids, SequenceRng& rng) {
  SampledToken token;
  if (logits.empty()) {
    token.logprob = kLowestLogprob;
    return token;
  }
  const float raw_largest = sanitize(logits);
  const double raw_log_total =
      static_cast<double>(raw_largest) + std::log(exp_sum(logits, raw_largest, 1.0f, {}));
  if (params.logprobs > 0) {
    select_top(logits, static_cast<std::size_t>(params.logprobs), selection_);
    token.top_logprobs.reserve(selection_.size());
    for (const int32_t id : selection_) {
      token.top_logprobs.emplace_back(
          id, clamp_logprob(logits[static_cast<std::size_t>(id)] - raw_log_total));
    }
  }
  apply_penalties(logits, params, prompt_ids, output_ids, /*record=*/true);
  if (is_greedy(params)) {
    token.id = static_cast<int32_t>(argmax_logit(logits));
  } else {
    build_distribution(logits, params);
    token.id = draw(rng);
  }
  token.logprob = clamp_logprob(raw_logit(logits, token.id) - raw_log_total);
  return token;
}

std::vector<TokenLogprob> Sampler::distribution(std::span<float> logits,
                                                const SamplingParams& params,
                                                std::span<const int32_t> prompt_ids,
                                                std::span<const int32_t> output_ids) {
  std::vector<TokenLogprob> result;
  if (logits.empty()) {
    return result;
  }
  sanitize(logits);
  apply_penalties(logits, params, prompt_ids, output_ids, /*record=*/false);
  if (is_greedy(params)) {
    result.emplace_back(static_cast<int32_t>(argmax_logit(logits)), 1.0f);
    return result;
  }
  build_distribution(logits, params);
  const auto add = [&](int32_t id, float weight) {
    if (weight > 0.0f) {
      result.emplace_back(id, static_cast<float>(static_cast<double>(weight) / total_));
    }
  };
  if (all_) {
    for (std::size_t i = 0; i < logits.size(); ++i) {
      add(static_cast<int32_t>(i), weights_[i]);
    }
  } else {
    for (std::size_t j = 0; j < candidates_.size(); ++j) {
      add(candidates_[j], candidate_weights_[j]);
    }
    std::sort(result.begin(), result.end());
  }
  return result;
}

void Sampler::apply_penalties(std::span<float> logits, const SamplingParams& params,
                              std::span<const int32_t> prompt_ids,
                              std::span<const int32_t> output_ids, bool record) {
  originals_.clear();
  std::vector<OriginalLogit>* originals = record ? &originals_ : nullptr;
  apply_repetition_penalty(logits, params.repetition_penalty, prompt_ids, output_ids,
                           penalty_scratch_, originals);
  apply_frequency_presence_penalties(logits, params.frequency_penalty, params.presence_penalty,
                                     output_ids, penalty_scratch_, originals);
}

void Sampler::build_distribution(std::span<const float> logits, const SamplingParams& params) {
  const std::size_t vocab_size = logits.size();
  const float largest = max_logit(logits);
  if (largest == -kInfinity) {
    // Penalties pushed every logit to -inf: only the first token is left.
    all_ = false;
    candidates_.assign(1, 0);
    candidate_weights_.assign(1, 1.0f);
    total_ = 1;
    return;
  }
  // Weights are exp((logit - largest) / T): the best token weighs exactly 1.
  const float scale = 1.0f / params.temperature;
  const bool top_k = params.top_k > 0 && static_cast<std::size_t>(params.top_k) < vocab_size;
  const bool top_p = params.top_p < 1.0f;
  const bool min_p = params.min_p > 0.0f;

  if (top_k) {
    all_ = false;
    select_top(logits, static_cast<std::size_t>(params.top_k), candidates_);
    candidate_weights_.resize(candidates_.size());
    total_ = 0;
    for (std::size_t j = 0; j < candidates_.size(); ++j) {
      const float logit = logits[static_cast<std::size_t>(candidates_[j])];
      candidate_weights_[j] = fast_exp((logit - largest) * scale);
      total_ += static_cast<double>(candidate_weights_[j]);
    }
    if (top_p) {
      nucleus_of_candidates(params.top_p);
    }
  } else if (top_p) {
    weights_.resize(vocab_size);
    total_ = exp_sum(logits, largest, scale, weights_);
    nucleus_of_all(logits, params.top_p);
  } else {
    // min_p needs no list here: weights below it are stored as 0 in the same pass.
    all_ = true;
    weights_.resize(vocab_size);
    total_ = exp_sum(logits, largest, scale, weights_, params.min_p);
    if (total_ == 0) {
      // min_p above 1 (not a valid request) removed even the best token: keep it.
      weights_[argmax_logit(logits)] = 1.0f;
      total_ = 1;
    }
    return;
  }
  if (min_p) {
    min_p_of_candidates(params.min_p);
  }
}

void Sampler::nucleus_of_all(std::span<const float> logits, float top_p) {
  all_ = false;
  const double target = static_cast<double>(top_p) * total_;
  select_top(logits, kNucleusHead, candidates_);
  double sum = 0;
  std::size_t kept = 0;
  while (kept < candidates_.size() && sum < target) {
    sum += static_cast<double>(weights_[static_cast<std::size_t>(candidates_[kept])]);
    ++kept;
  }
  if (sum >= target || candidates_.size() == logits.size()) {
    candidates_.resize(std::max<std::size_t>(kept, 1));
  } else {
    select_nucleus(logits, weights_, target, candidates_, nucleus_scratch_);
  }
  gather_candidate_weights();
}

void Sampler::nucleus_of_candidates(float top_p) {
  const double target = static_cast<double>(top_p) * total_;
  double sum = 0;
  std::size_t kept = 0;
  while (kept < candidates_.size() && sum < target) {
    sum += static_cast<double>(candidate_weights_[kept]);
    ++kept;
  }
  if (kept == 0) {  // top_p <= 0 (not a valid request): the best token alone
    kept = 1;
    sum = static_cast<double>(candidate_weights_[0]);
  }
  candidates_.resize(kept);
  candidate_weights_.resize(kept);
  total_ = sum;
}

void Sampler::min_p_of_candidates(float min_p) {
  std::size_t kept = 0;
  std::size_t best = 0;
  total_ = 0;
  for (std::size_t j = 0; j < candidates_.size(); ++j) {
    if (candidate_weights_[j] > candidate_weights_[best]) {
      best = j;
    }
    if (candidate_weights_[j] >= min_p) {
      candidates_[kept] = candidates_[j];
      candidate_weights_[kept] = candidate_weights_[j];
      total_ += static_cast<double>(candidate_weights_[kept]);
      ++kept;
    }
  }
  if (kept == 0) {
    // min_p above 1 (not a valid request) removed even the best token: keep it.
    candidates_[0] = candidates_[best];
    candidate_weights_[0] = candidate_weights_[best];
    total_ = static_cast<double>(candidate_weights_[0]);
    kept = 1;
  }
  candidates_.resize(kept);
  candidate_weights_.resize(kept);
}

void Sampler::gather_candidate_weights() {
  candidate_weights_.resize(candidates_.size());
  total_ = 0;
  for (std::size_t j = 0; j < candidates_.size(); ++j) {
    candidate_weights_[j] = weights_[static_cast<std::size_t>(candidates_[j])];
    total_ += static_cast<double>(candidate_weights_[j]);
  }
}

int32_t Sampler::draw(SequenceRng& rng) const {
  const double target = rng.next_uniform() * total_;
  double sum = 0;
  int32_t last_positive = -1;
  const auto reaches = [&](int32_t id, float weight) {
    if (weight > 0.0f) {
      last_positive = id;
      sum += static_cast<double>(weight);
    }
    return sum > target;
  };
  if (all_) {
    for (std::size_t i = 0; i < weights_.size(); ++i) {
      if (reaches(static_cast<int32_t>(i), weights_[i])) {
        return static_cast<int32_t>(i);
      }
    }
  } else {
    for (std::size_t j = 0; j < candidates_.size(); ++j) {
      if (reaches(candidates_[j], candidate_weights_[j])) {
        return candidates_[j];
      }
    }
  }
  // Rounding left the target at the very end: the last token with any weight.
  return last_positive >= 0 ? last_positive : (all_ ? 0 : candidates_.front());
}

float Sampler::raw_logit(std::span<const float> logits, int32_t id) const {
  // The first record of a token holds its value before every penalty.
  for (const OriginalLogit& original : originals_) {
    if (original.first == id) {
      return original.second;
    }
  }
  return logits[static_cast<std::size_t>(id)];
}

}  // namespace disaggd::engine
