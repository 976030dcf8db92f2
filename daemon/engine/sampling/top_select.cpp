// Top-n selection by bounded heap or by partition.
#include "engine/sampling/top_select.h"

#include <algorithm>
#include <numeric>

namespace disaggd::engine {
namespace {

/// Counts up to this use the heap; beyond it a partition is cheaper than log(count) per element.
constexpr std::size_t kHeapLimit = 512;

/// The heap method over `ids`, or over every index of `values` when `all` is set.
void heap_select(std::span<const float> values, std::span<const int32_t> ids, bool all,
                 std::size_t count, std::vector<int32_t>& out) {
  out.clear();
  const std::size_t n = all ? values.size() : ids.size();
  count = std::min(count, n);
  if (count == 0) {
    return;
  }
  const auto id_at = [&](std::size_t i) { return all ? static_cast<int32_t>(i) : ids[i]; };
  // A heap whose front is the worst of the ids kept so far.
  const auto better = [values](int32_t a, int32_t b) { return ranks_before(values, a, b); };
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(id_at(i));
  }
  std::make_heap(out.begin(), out.end(), better);
  const auto replace_worst = [&](int32_t id) {
    std::pop_heap(out.begin(), out.end(), better);
    out.back() = id;
    std::push_heap(out.begin(), out.end(), better);
  };
  if (all) {
    // Ids come in increasing order, so an equal value never beats the worst kept: one float
    // comparison per token.
    float worst = values[static_cast<std::size_t>(out.front())];
    for (std::size_t i = count; i < n; ++i) {
      if (values[i] > worst) {
        replace_worst(static_cast<int32_t>(i));
        worst = values[static_cast<std::size_t>(out.front())];
      }
    }
  } else {
    for (std::size_t i = count; i < n; ++i) {
      if (better(ids[i], out.front())) {
        replace_worst(ids[i]);
      }
    }
  }
  std::sort(out.begin(), out.end(), better);
}

/// The partition method over `ids`, or over every index of `values` when `all` is set.
void partition_select(std::span<const float> values, std::span<const int32_t> ids, bool all,
                      std::size_t count, std::vector<int32_t>& out) {
  out.clear();
  if (all) {
    out.resize(values.size());
    std::iota(out.begin(), out.end(), 0);
  } else {
    out.assign(ids.begin(), ids.end());
  }
  count = std::min(count, out.size());
  const auto better = [values](int32_t a, int32_t b) { return ranks_before(values, a, b); };
  const auto middle = out.begin() + static_cast<std::ptrdiff_t>(count);
  if (count < out.size()) {
    std::nth_element(out.begin(), middle, out.end(), better);
  }
  out.erase(middle, out.end());
  std::sort(out.begin(), out.end(), better);
}

}  // namespace

void select_top(std::span<const float> values, std::size_t count, std::vector<int32_t>& out) {
  if (count <= kHeapLimit) {
    heap_select(values, {}, true, count, out);
  } else {
    partition_select(values, {}, true, count, out);
  }
}

void select_top(std::span<const float> values, std::span<const int32_t> ids, std::size_t count,
                std::vector<int32_t>& out) {
  if (count <= kHeapLimit) {
    heap_select(values, ids, false, count, out);
  } else {
    partition_select(values, ids, false, count, out);
  }
}

void select_top_heap(std::span<const float> values, std::span<const int32_t> ids, std::size_t count,
                     std::vector<int32_t>& out) {
  heap_select(values, ids, false, count, out);
}

void select_top_partition(std::span<const float> values, std::span<const int32_t> ids,
                          std::size_t count, std::vector<int32_t>& out) {
  partition_select(values, ids, false, count, out);
}

}  // namespace disaggd::engine
