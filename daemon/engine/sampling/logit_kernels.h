// Vocabulary-wide loops over logits (clean-up, maximum, sum of exponentials) with GCC vector
// extensions, so they run at SIMD speed at -O2 on any target (and with AVX2 where available).
#pragma once

#include <cstddef>
#include <span>

namespace disaggd::engine {

/// Replaces NaN with -inf and +inf with the largest finite float, in place. Returns the largest
/// value afterwards (-inf when `logits` is empty or all -inf).
float sanitize_logits(std::span<float> logits);

/// The largest value (-inf when empty). `logits` must hold no NaN.
float max_logit(std::span<const float> logits);

/// The lowest index holding the largest value. `logits` must be non-empty and hold no NaN.
std::size_t argmax_logit(std::span<const float> logits);

/// exp(x) in float with a relative error below 1e-7, for x <= 88; 0 for x < -87 (and -inf).
float fast_exp(float x);

/// The sum, in double, of w_i = fast_exp((logits[i] - shift) * scale), with every w_i below
/// `floor` counted as 0. When `weights` is not empty (it must then have logits' size), stores
/// each w_i (0 below the floor) there. Uses AVX2 and FMA when the CPU has them (the last bit of
/// a weight may then differ from exp_sum_portable()).
double exp_sum(std::span<const float> logits, float shift, float scale, std::span<float> weights,
               float floor = 0.0f);

/// exp_sum() on 16-byte vectors only, whatever the CPU. Exposed for tests.
double exp_sum_portable(std::span<const float> logits, float shift, float scale,
                        std::span<float> weights, float floor = 0.0f);

}  // namespace disaggd::engine
