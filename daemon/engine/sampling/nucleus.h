// The top_p nucleus of a whole vocabulary in linear time, without sorting it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace disaggd::engine {

/// Lists select_nucleus() reuses between calls.
struct NucleusScratch {
  std::vector<int32_t> current, greater, equal, less;
};

/// The top_p set of every token: the shortest run of tokens, taken in ranks_before() order of
/// `logits` (larger first, lower id first on ties), whose `weights` add up to at least `target`;
/// at least one token. `weights[i]` must be a non-decreasing function of `logits[i]` (their
/// softmax weights). Replaces `out` with the ids, in increasing order.
///
/// A quickselect on the logits that tracks the weight above its pivot finds the cut-off value
/// in expected O(vocabulary) time however large the nucleus, then one pass gathers the tokens.
void select_nucleus(std::span<const float> logits, std::span<const float> weights, double target,
                    std::vector<int32_t>& out, NucleusScratch& scratch);

}  // namespace disaggd::engine
