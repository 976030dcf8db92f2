// Helpers of the sampling tests: logits from probabilities, and distributions as maps.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "engine/sampling/sampler.h"

namespace disaggd::engine::testing {

/// Logits whose softmax is `probabilities` (plus a shift, which softmax ignores).
inline std::vector<float> logits_of(const std::vector<double>& probabilities, double shift = 3.0) {
  std::vector<float> logits;
  for (const double p : probabilities) {
    logits.push_back(static_cast<float>(std::log(p) + shift));
  }
  return logits;
}

/// Sampler::distribution() of a copy of `logits`, as id -> probability.
inline std::map<int32_t, double> distribution_of(std::vector<float> logits,
                                                 const SamplingParams& params,
                                                 const std::vector<int32_t>& prompt = {},
                                                 const std::vector<int32_t>& output = {}) {
  Sampler sampler;
  std::map<int32_t, double> result;
  for (const auto& [id, p] : sampler.distribution(logits, params, prompt, output)) {
    result[id] = p;
  }
  return result;
}

}  // namespace disaggd::engine::testing
