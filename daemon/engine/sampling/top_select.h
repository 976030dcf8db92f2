// Selecting the largest few values of a large array (top_k, top_p's head, top logprobs) without
// sorting all of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace disaggd::engine {

/// The order of every selection: larger value first, and on equal values the lower id first.
/// Values must not be NaN.
inline bool ranks_before(std::span<const float> values, int32_t a, int32_t b) {
  const float va = values[static_cast<std::size_t>(a)];
  const float vb = values[static_cast<std::size_t>(b)];
  return va > vb || (va == vb && a < b);
}

/// Replaces `out` with the ids of the `count` first values of `values` in ranks_before order,
/// sorted in that order (`count` is clamped to values.size()). Picks a bounded heap for small
/// counts and a partition (std::nth_element) for large ones; both give the same result.
void select_top(std::span<const float> values, std::size_t count, std::vector<int32_t>& out);

/// As above, among `ids` only (ids of `values`, in any order, without repeats; not a view of
/// `out`).
void select_top(std::span<const float> values, std::span<const int32_t> ids, std::size_t count,
                std::vector<int32_t>& out);

/// The bounded-heap method: one pass, O(n log count). Exposed for tests.
void select_top_heap(std::span<const float> values, std::span<const int32_t> ids, std::size_t count,
                     std::vector<int32_t>& out);

/// The partition method: O(n + count log count) on a copy of the ids. Exposed for tests.
void select_top_partition(std::span<const float> values, std::span<const int32_t> ids,
                          std::size_t count, std::vector<int32_t>& out);

}  // namespace disaggd::engine
