// Registering the KV pool, connecting to prefill nodes and pulling prompt KV.
#include "engine/migration/kv_migration.h"

#include <future>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace disaggd::engine {
namespace {

/// The id of the first region in a peer's endpoint JSON.
core::Result<uint64_t> remote_region_of(const std::string& source) {
  const nlohmann::json endpoint = nlohmann::json::parse(source, nullptr, false);
  if (!endpoint.is_object() || !endpoint.contains("regions") || !endpoint["regions"].is_array() ||
      endpoint["regions"].empty() || !endpoint["regions"][0].contains("id") ||
      !endpoint["regions"][0]["id"].is_number_unsigned()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "the migration endpoint names no KV region");
  }
  return endpoint["regions"][0]["id"].get<uint64_t>();
}

}  // namespace

/// One pull. With the peer connected already the read is posted at once (read_fn never blocks);
/// otherwise connecting and posting run on their own thread, since connecting may take a while.
/// poll() then asks the plugin. Destroying it waits for that thread and cancels the read.
class KvMigration::Pull : public KvPull {
 public:
  Pull(std::shared_ptr<KvMigration> owner, std::string source,
       std::vector<disaggd_migration_read_op> ops)
      : owner_(std::move(owner)), source_(std::move(source)) {
    if (core::MigrationPeer* peer = owner_->cached_peer(source_)) {
      settle(post_to(peer, ops));
    } else {
      posted_ = std::async(std::launch::async, [this, ops = std::move(ops)] { return post(ops); });
    }
  }

  ~Pull() override {
    if (posted_.valid()) {
      settle(posted_.get());  // waits for the connecting thread
    }
    if (transfer_ != nullptr) {
      owner_->backend_->release(transfer_);
    }
  }

  core::Result<bool> poll() override {
    if (posted_.valid()) {
      if (posted_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        return false;
      }
      settle(posted_.get());
    }
    if (!failed_.ok()) {
      return failed_;
    }
    core::Result<bool> done = owner_->backend_->poll(transfer_);
    if (!done.ok() && peer_ != nullptr) {
      owner_->drop_peer(source_, peer_);
      peer_ = nullptr;
    }
    return done;
  }

 private:
  core::Result<core::MigrationTransfer*> post(const std::vector<disaggd_migration_read_op>& ops) {
    auto peer = owner_->peer_for(source_);
    if (!peer.ok()) {
      return peer.status();
    }
    return post_to(*peer, ops);
  }

  core::Result<core::MigrationTransfer*> post_to(
      core::MigrationPeer* peer, const std::vector<disaggd_migration_read_op>& ops) {
    peer_ = peer;
    auto transfer = owner_->backend_->read(peer_, ops, owner_->timeout_);
    if (!transfer.ok()) {
      owner_->drop_peer(source_, peer_);
      peer_ = nullptr;
    }
    return transfer;
  }

  void settle(core::Result<core::MigrationTransfer*> posted) {
    if (posted.ok()) {
      transfer_ = *posted;
    } else {
      failed_ = posted.status();
    }
  }

  std::shared_ptr<KvMigration> owner_;
  std::string source_;
  core::MigrationPeer* peer_ = nullptr;
  std::future<core::Result<core::MigrationTransfer*>> posted_;
  core::MigrationTransfer* transfer_ = nullptr;
  core::Status failed_;  ///< Why connecting or posting failed.
};

core::Result<std::shared_ptr<KvMigration>> KvMigration::create(
    std::unique_ptr<core::MigrationBackend> backend, const core::ModelBackend& model,
    std::chrono::milliseconds timeout) {
  const auto& regions = model.kv_regions();
  if (regions.size() != 1) {
    return core::Status(core::StatusCode::kUnsupported,
                        "KV migration needs a model backend with one KV region; " +
                            model.info().name + " has " + std::to_string(regions.size()));
  }
  const disaggd_kv_region& pool = regions.front();
  auto region = backend->register_region(
      pool.base, pool.length, static_cast<disaggd_memory_kind>(pool.kind), pool.device_id);
  if (!region.ok()) {
    return region.status().with_context("cannot register the KV pool for migration");
  }
  auto endpoint = backend->local_endpoint();
  if (!endpoint.ok()) {
    return endpoint.status();
  }
  const disaggd_kv_layout& layout = model.kv_layout();
  return std::shared_ptr<KvMigration>(new KvMigration(std::move(backend), *region,
                                                      layout.bytes_per_block, layout.num_blocks,
                                                      timeout, std::move(endpoint).value()));
}

KvMigration::KvMigration(std::unique_ptr<core::MigrationBackend> backend, uint64_t region,
                         uint64_t bytes_per_block, uint64_t num_blocks,
                         std::chrono::milliseconds timeout, std::string endpoint)
    : backend_(std::move(backend)),
      region_(region),
      bytes_per_block_(bytes_per_block),
      num_blocks_(num_blocks),
      timeout_(timeout),
      endpoint_(std::move(endpoint)) {}

core::Result<std::unique_ptr<KvPull>> KvMigration::start(const std::string& source,
                                                         std::span<const int32_t> remote_blocks,
                                                         std::span<const int32_t> local_blocks) {
  if (remote_blocks.size() != local_blocks.size() || remote_blocks.empty()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "a pull needs as many remote blocks as local ones");
  }
  auto remote_region = remote_region_of(source);
  if (!remote_region.ok()) {
    return remote_region.status();
  }
  std::vector<disaggd_migration_read_op> ops;
  ops.reserve(remote_blocks.size());
  for (std::size_t i = 0; i < remote_blocks.size(); ++i) {
    if (remote_blocks[i] < 0 || local_blocks[i] < 0 ||
        static_cast<uint64_t>(local_blocks[i]) >= num_blocks_) {
      return core::Status(core::StatusCode::kInvalidArgument, "a block id is out of range");
    }
    ops.push_back({*remote_region, static_cast<uint64_t>(remote_blocks[i]) * bytes_per_block_,
                   region_, static_cast<uint64_t>(local_blocks[i]) * bytes_per_block_,
                   bytes_per_block_});
  }
  return std::unique_ptr<KvPull>(new Pull(shared_from_this(), source, std::move(ops)));
}

core::MigrationPeer* KvMigration::cached_peer(const std::string& source) {
  std::lock_guard lock(mutex_);
  const auto it = peers_.find(source);
  return it == peers_.end() ? nullptr : it->second;
}

core::Result<core::MigrationPeer*> KvMigration::peer_for(const std::string& source) {
  if (core::MigrationPeer* peer = cached_peer(source)) {
    return peer;
  }
  auto peer = backend_->connect(source, timeout_);
  if (!peer.ok()) {
    return peer.status().with_context("cannot connect to the prefill node's migration endpoint");
  }
  std::lock_guard lock(mutex_);
  auto [it, inserted] = peers_.emplace(source, *peer);
  if (!inserted) {
    backend_->disconnect(*peer);  // another pull connected first
  }
  return it->second;
}

void KvMigration::drop_peer(const std::string& source, core::MigrationPeer* peer) {
  std::lock_guard lock(mutex_);
  if (auto it = peers_.find(source); it != peers_.end() && it->second == peer) {
    peers_.erase(it);
    spdlog::info("migration peer dropped after a failed pull; the next pull connects again");
  }
}

}  // namespace disaggd::engine
