// Weighted quickselect for the top_p cut-off.
#include "engine/sampling/nucleus.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace disaggd::engine {
namespace {

/// A small deterministic generator for pivot positions (the result does not depend on them, only
/// the running time, which then cannot be driven quadratic by any particular order of logits).
class PivotPicker {
 public:
  std::size_t pick(std::size_t size) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::size_t>(state_ % size);
  }

 private:
  uint64_t state_ = 0x9E3779B97F4A7C15ull;
};

/// The median of the logits of three random members of `ids`.
float pick_pivot(std::span<const float> logits, std::span<const int32_t> ids, PivotPicker& picker) {
  float a = logits[static_cast<std::size_t>(ids[picker.pick(ids.size())])];
  float b = logits[static_cast<std::size_t>(ids[picker.pick(ids.size())])];
  const float c = logits[static_cast<std::size_t>(ids[picker.pick(ids.size())])];
  if (a > b) {
    std::swap(a, b);
  }
  return std::max(a, std::min(b, c));
}

}  // namespace

void select_nucleus(std::span<const float> logits, std::span<const float> weights, double target,
                    std::vector<int32_t>& out, NucleusScratch& scratch) {
  out.clear();
  if (logits.empty()) {
    return;
  }
  // The nucleus is {logit > cutoff} plus the tokens with logit == cutoff up to id tie_limit.
  float cutoff = 0;
  int32_t tie_limit = std::numeric_limits<int32_t>::max();
  if (!(target > 0)) {
    const auto best = std::max_element(logits.begin(), logits.end());
    cutoff = *best;
    tie_limit = static_cast<int32_t>(best - logits.begin());
  } else {
    // Lists are sized once for the whole vocabulary; each split writes every id to all three and
    // advances only the right one, so the loop has no unpredictable branch.
    const std::size_t vocab_size = logits.size();
    for (std::vector<int32_t>* list :
         {&scratch.current, &scratch.greater, &scratch.equal, &scratch.less}) {
      if (list->size() < vocab_size) {
        list->resize(vocab_size);
      }
    }
    std::iota(scratch.current.begin(), scratch.current.begin() + vocab_size, 0);
    std::size_t current_size = vocab_size;
    double remaining = target;  // Weight still needed below the tokens already kept
    PivotPicker picker;
    while (true) {
      // Every id list stays in increasing order: each split is a stable pass.
      const std::span<const int32_t> current(scratch.current.data(), current_size);
      const float pivot = pick_pivot(logits, current, picker);
      std::size_t greater_size = 0;
      std::size_t equal_size = 0;
      std::size_t less_size = 0;
      double greater_weight = 0;
      double equal_weight = 0;
      for (const int32_t id : current) {
        const float logit = logits[static_cast<std::size_t>(id)];
        const double weight = static_cast<double>(weights[static_cast<std::size_t>(id)]);
        const bool greater = logit > pivot;
        const bool equal = logit == pivot;
        scratch.greater[greater_size] = id;
        scratch.equal[equal_size] = id;
        scratch.less[less_size] = id;
        greater_size += greater ? 1 : 0;
        equal_size += equal ? 1 : 0;
        less_size += greater || equal ? 0 : 1;
        // Products, not `?:`: GCC turns a conditional double into a branch.
        greater_weight += weight * static_cast<double>(greater);
        equal_weight += weight * static_cast<double>(equal);
      }
      if (greater_weight >= remaining) {
        scratch.current.swap(scratch.greater);  // Non-empty: remaining > 0
        current_size = greater_size;
        continue;
      }
      remaining -= greater_weight;
      cutoff = pivot;
      if (equal_weight >= remaining || less_size == 0) {
        // The cut falls among the tokens equal to the pivot, taken by increasing id.
        double sum = 0;
        tie_limit = std::numeric_limits<int32_t>::max();  // Kept if rounding leaves sum short
        for (std::size_t j = 0; j < equal_size; ++j) {
          const int32_t id = scratch.equal[j];
          sum += static_cast<double>(weights[static_cast<std::size_t>(id)]);
          if (sum >= remaining) {
            tie_limit = id;
            break;
          }
        }
        break;
      }
      remaining -= equal_weight;
      scratch.current.swap(scratch.less);
      current_size = less_size;
    }
  }
  // Branch-free gather: write every id, advance past the kept ones.
  out.resize(logits.size());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float logit = logits[i];
    out[kept] = static_cast<int32_t>(i);
    kept += static_cast<std::size_t>(logit > cutoff) |
            (static_cast<std::size_t>(logit == cutoff) &
             static_cast<std::size_t>(static_cast<int32_t>(i) <= tie_limit));
  }
  out.resize(kept);
}

}  // namespace disaggd::engine
