// KvMigration: a node's KV pool registered with a migration plugin instance. A prefill node
// publishes its endpoint in the cache handles it hands out; a decode node pulls prompt KV from
// prefill nodes through it (KvPuller), connecting once per peer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/plugins/migration_backend.h"
#include "core/plugins/model_backend.h"
#include "core/status.h"
#include "engine/serving/kv_import.h"

namespace disaggd::engine {

/// Thread-safe. Must outlive every pull it started; `model` (whose pool it registered) must
/// outlive it.
class KvMigration : public KvPuller, public std::enable_shared_from_this<KvMigration> {
 public:
  /// Registers the KV pool of `model` (one region, block-major) with `backend`. `timeout`
  /// bounds connecting to a peer and each pull.
  static core::Result<std::shared_ptr<KvMigration>> create(
      std::unique_ptr<core::MigrationBackend> backend, const core::ModelBackend& model,
      std::chrono::milliseconds timeout);

  /// This node's migration endpoint (JSON), for the cache handles of a prefill node.
  const std::string& endpoint() const { return endpoint_; }

  core::Result<std::unique_ptr<KvPull>> start(const std::string& source,
                                              std::span<const int32_t> remote_blocks,
                                              std::span<const int32_t> local_blocks) override;

 private:
  class Pull;

  KvMigration(std::unique_ptr<core::MigrationBackend> backend, uint64_t region,
              uint64_t bytes_per_block, uint64_t num_blocks, std::chrono::milliseconds timeout,
              std::string endpoint);

  /// The connection to the peer described by `source` if one is open, else null.
  core::MigrationPeer* cached_peer(const std::string& source);
  /// The connection to the peer described by `source`, made on first use.
  core::Result<core::MigrationPeer*> peer_for(const std::string& source);
  /// Forgets a peer whose pull failed, so the next pull connects again.
  void drop_peer(const std::string& source, core::MigrationPeer* peer);

  std::unique_ptr<core::MigrationBackend> backend_;
  uint64_t region_;
  uint64_t bytes_per_block_;
  uint64_t num_blocks_;
  std::chrono::milliseconds timeout_;
  std::string endpoint_;
  std::mutex mutex_;
  std::map<std::string, core::MigrationPeer*> peers_;  ///< By endpoint text (it has the epoch).
};

}  // namespace disaggd::engine
