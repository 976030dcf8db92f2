// A decode side's connections to one listener (see tcp_peer.h).
#include "tcp_peer.h"

#include <string>
#include <utility>

#include "disaggd/sdk/error.hpp"
#include "read_plan.h"
#include "transfer_state.h"

namespace disaggd::migration_tcp {

using sdk::Error;

TcpPeer::TcpPeer(std::shared_ptr<const PeerTarget> target, uint32_t connections, Deadline deadline)
    : target_(std::move(target)) {
  for (uint32_t i = 0; i < connections; ++i) {
    connections_.push_back(
        std::make_unique<ClientConnection>(target_, connect_peer(*target_, deadline)));
  }
}

ClientConnection& TcpPeer::least_loaded() {
  const std::size_t start = rotation_.fetch_add(1, std::memory_order_relaxed);
  ClientConnection* best = nullptr;
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    ClientConnection& candidate = *connections_[(start + i) % connections_.size()];
    if (best == nullptr || candidate.queued_bytes() < best->queued_bytes()) {
      best = &candidate;
    }
  }
  return *best;
}

std::unique_ptr<sdk::MigrationTransfer> TcpPeer::read(RegionRegistry& local,
                                                      const sdk::ReadOps& ops,
                                                      std::chrono::milliseconds timeout) {
  const Deadline deadline = Clock::now() + timeout;
  SplitLimits limits;
  limits.connections = static_cast<uint32_t>(connections_.size());
  limits.max_piece_ranges = kMaxRangesPerRequest;
  const std::vector<std::vector<ReadRange>> pieces =
      split(coalesce(ops.begin(), ops.size()), limits);

  std::vector<RegionRange> destinations;
  uint64_t total = 0;
  for (const auto& piece : pieces) {
    for (const ReadRange& range : piece) {
      const auto region = target_->endpoint.regions.find(range.remote_region);
      if (region == target_->endpoint.regions.end()) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "remote region " +
                                                         std::to_string(range.remote_region) +
                                                         " is not in the peer's endpoint");
      }
      check_in_region(RegionRange{range.remote_region, range.remote_offset, range.length},
                      region->second, "remote");
      destinations.push_back(RegionRange{range.local_region, range.local_offset, range.length});
      total += range.length;
    }
  }
  std::vector<uint8_t*> addresses;
  RegionRegistry::Pins pins;
  try {
    pins = local.pin(destinations, RegionRegistry::PinKind::kTransfer, &addresses);
  } catch (const Error& e) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, std::string("local ") + e.what());
  }

  auto state = std::make_shared<TransferState>(total, deadline);
  auto transfer = std::make_unique<TcpTransfer>(state, std::move(pins));
  std::size_t next = 0;
  for (const auto& ranges : pieces) {
    auto piece = std::make_unique<Piece>();
    piece->transfer = state;
    for (const ReadRange& range : ranges) {
      piece->ranges.push_back(WireRange{range.remote_region, range.remote_offset, range.length});
      piece->destination.push_back(iovec{addresses[next++], range.length});
      piece->bytes += range.length;
    }
    least_loaded().submit(std::move(piece));
  }
  return transfer;
}

}  // namespace disaggd::migration_tcp
