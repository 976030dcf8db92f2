// PdNode: what makes a node a prefill or a decode node — its KV migration side, the cache handles
// it writes (prefill) or accepts (decode), and what it tells others about its KV layout.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/status.h"
#include "disaggd/model.h"
#include "engine/api/handle_releaser.h"
#include "engine/migration/kv_migration.h"
#include "engine/serving/cache_handles.h"
#include "engine/serving/kv_import.h"

namespace disaggd::engine {

/// The KV layout as nodes compare it: everything but the pool's size (two pools may differ in
/// blocks and still exchange them).
nlohmann::json kv_layout_json(const disaggd_kv_layout& layout);

/// Thread-safe once set_url() has run (before the node registers anywhere).
class PdNode {
 public:
  /// `cluster_headers` go with the decode role's release calls to prefill nodes.
  PdNode(core::Role role, std::shared_ptr<KvMigration> migration, const disaggd_kv_layout& layout,
         http::HeaderList cluster_headers = {});

  bool prefill() const { return role_ == core::Role::kPrefill; }
  bool decode() const { return role_ == core::Role::kDecode; }
  /// The URL others reach this node at (known once its listener is up).
  void set_url(std::string url);
  std::string url() const;
  const nlohmann::json& kv_layout() const { return layout_; }
  const std::string& migration_endpoint() const { return migration_->endpoint(); }

  /// GET /distserve/engine_info: {engine_id, epoch, role, kv_layout, migration_endpoint}.
  nlohmann::json engine_info() const;
  /// The cache handle a prefill node returns for `kept` (in "disaggd_pd.cache_handle").
  nlohmann::json handle_json(const KeptCache& kept) const;
  /// A decode node's import of a prefill's `handle`: every field checked, the layout compared
  /// with this node's (a mismatch is kInvalidArgument naming the field, never a crash). Once
  /// the engine is done with the prefill's copy, the handle is released on the prefill node.
  core::Result<KvImport> import_from(const nlohmann::json& handle);

 private:
  core::Role role_;
  std::shared_ptr<KvMigration> migration_;
  nlohmann::json layout_;
  std::string epoch_;  ///< The migration endpoint's: changes whenever the process restarts.
  mutable std::mutex mutex_;
  std::string url_;
  std::shared_ptr<HandleReleaser> releaser_;
};

}  // namespace disaggd::engine
