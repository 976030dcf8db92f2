// How a batched read becomes requests: ranges contiguous on both sides are merged, then the bytes
// are cut into pieces, one request each, spread over the peer's connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "disaggd/migration.h"

namespace disaggd::migration_tcp {

using ReadRange = disaggd_migration_read_op;

/// Sorts `ops` by remote region and offset and merges neighbours that are contiguous in both the
/// remote and the local region.
std::vector<ReadRange> coalesce(const ReadRange* ops, std::size_t count);

/// Limits of split().
struct SplitLimits {
  uint32_t connections = 1;              ///< Pieces a transfer is spread over when large enough.
  uint64_t min_piece_bytes = 256 << 10;  ///< Smaller transfers are not spread further.
  uint64_t max_piece_bytes = 64 << 20;   ///< Longest request.
  std::size_t max_piece_ranges = 1024;   ///< Most ranges in one request.
};

/// Cuts `ranges` into pieces of nearly equal size (ranges are split at piece boundaries): as many
/// as connections when every piece gets at least min_piece_bytes, more when a piece would exceed
/// max_piece_bytes or max_piece_ranges. Every byte appears in exactly one piece, in order.
std::vector<std::vector<ReadRange>> split(const std::vector<ReadRange>& ranges,
                                          const SplitLimits& limits);

}  // namespace disaggd::migration_tcp
