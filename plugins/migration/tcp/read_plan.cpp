// Coalescing and splitting of batched reads (see read_plan.h).
#include "read_plan.h"

#include <algorithm>
#include <tuple>

namespace disaggd::migration_tcp {
namespace {

bool remote_order(const ReadRange& a, const ReadRange& b) {
  return std::tie(a.remote_region, a.remote_offset, a.local_region, a.local_offset) <
         std::tie(b.remote_region, b.remote_offset, b.local_region, b.local_offset);
}

bool continues(const ReadRange& previous, const ReadRange& next) {
  return previous.remote_region == next.remote_region &&
         previous.local_region == next.local_region &&
         previous.remote_offset + previous.length == next.remote_offset &&
         previous.local_offset + previous.length == next.local_offset;
}

}  // namespace

std::vector<ReadRange> coalesce(const ReadRange* ops, std::size_t count) {
  std::vector<ReadRange> sorted(ops, ops + count);
  if (!std::is_sorted(sorted.begin(), sorted.end(), remote_order)) {
    std::sort(sorted.begin(), sorted.end(), remote_order);
  }
  std::vector<ReadRange> merged;
  merged.reserve(sorted.size());
  for (const ReadRange& op : sorted) {
    if (!merged.empty() && continues(merged.back(), op)) {
      merged.back().length += op.length;
    } else {
      merged.push_back(op);
    }
  }
  return merged;
}

std::vector<std::vector<ReadRange>> split(const std::vector<ReadRange>& ranges,
                                          const SplitLimits& limits) {
  uint64_t total = 0;
  for (const ReadRange& range : ranges) {
    total += range.length;
  }
  const uint64_t by_size = (total + limits.max_piece_bytes - 1) / limits.max_piece_bytes;
  const uint64_t spread =
      std::clamp<uint64_t>(total / std::max<uint64_t>(limits.min_piece_bytes, 1), 1,
                           std::max<uint32_t>(limits.connections, 1));
  const uint64_t pieces = std::max(by_size, spread);
  const uint64_t target = (total + pieces - 1) / pieces;

  std::vector<std::vector<ReadRange>> result;
  std::vector<ReadRange> current;
  uint64_t current_bytes = 0;
  for (ReadRange range : ranges) {
    while (range.length > 0) {
      const uint64_t take = std::min(range.length, target - current_bytes);
      ReadRange part = range;
      part.length = take;
      current.push_back(part);
      current_bytes += take;
      range.remote_offset += take;
      range.local_offset += take;
      range.length -= take;
      if (current_bytes == target || current.size() == limits.max_piece_ranges) {
        result.push_back(std::move(current));
        current.clear();
        current_bytes = 0;
      }
    }
  }
  if (!current.empty()) {
    result.push_back(std::move(current));
  }
  return result;
}

}  // namespace disaggd::migration_tcp
