// A decode side's connections to one listener, and how a batched read is turned into requests
// on them: coalesced, checked, split into pieces and spread over the least loaded connections.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "client_connection.h"
#include "disaggd/sdk/migration.hpp"
#include "region_registry.h"

namespace disaggd::migration_tcp {

class TcpPeer final : public sdk::MigrationPeer {
 public:
  /// Opens `connections` connections to `target` (each with its hello) before `deadline`; throws
  /// sdk::Error with the first failure.
  TcpPeer(std::shared_ptr<const PeerTarget> target, uint32_t connections, Deadline deadline);
  /// Closes the connections; transfers still on them fail with CANCELLED.
  ~TcpPeer() override = default;

  /// Starts a read into regions of `local`: checks every range against `local` and the peer's
  /// endpoint (INVALID_ARGUMENT, nothing sent), then queues the pieces. Never blocks on the
  /// network.
  std::unique_ptr<sdk::MigrationTransfer> read(RegionRegistry& local, const sdk::ReadOps& ops,
                                               std::chrono::milliseconds timeout);

 private:
  ClientConnection& least_loaded();

  std::shared_ptr<const PeerTarget> target_;
  std::vector<std::unique_ptr<ClientConnection>> connections_;
  std::atomic<uint32_t> rotation_{0};  ///< Where the search for the least loaded one starts.
};

}  // namespace disaggd::migration_tcp
