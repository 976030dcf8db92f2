// MigrationBackend: one live instance of a migration plugin, called through its C vtable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "core/plugins/plugin_host_services.h"
#include "core/plugins/plugin_library.h"
#include "core/plugins/plugin_options.h"
#include "core/status.h"
#include "disaggd/migration.h"

namespace disaggd::core {

/// Opaque handles owned by the wrapper's plugin instance.
struct MigrationPeer;      // wraps disaggd_migration_peer*
struct MigrationTransfer;  // wraps disaggd_migration_transfer*

/// A migration plugin instance: its listener, its peers and its transfers live inside it. Keeps
/// its library loaded while it lives. Every method may be called from many threads at once
/// (construction and destruction excepted); one transfer is polled and released by one thread at
/// a time. A REMOTE_DISCONNECTED status of the plugin becomes kUnavailable with a message saying
/// that the peer disconnected; TIMEOUT becomes kTimeout.
class MigrationBackend {
 public:
  /// Creates an instance of the migration plugin in `library` with `options`.
  static Result<std::unique_ptr<MigrationBackend>> create(std::shared_ptr<PluginLibrary> library,
                                                          const PluginOptions& options);

  /// Releases transfers, disconnects peers, destroys the instance.
  ~MigrationBackend();
  MigrationBackend(const MigrationBackend&) = delete;
  MigrationBackend& operator=(const MigrationBackend&) = delete;

  /// Registers host memory (or CUDA memory) and returns its id.
  Result<uint64_t> register_region(void* base, uint64_t length, disaggd_memory_kind kind,
                                   int32_t device_id);
  Status deregister_region(uint64_t region_id);
  /// JSON text of this instance's endpoint (what peers connect to).
  Result<std::string> local_endpoint();
  /// Connects to the peer described by `endpoint_json`. The returned pointer stays valid until
  /// disconnect() or the backend's destruction.
  Result<MigrationPeer*> connect(const std::string& endpoint_json,
                                 std::chrono::milliseconds timeout);
  /// Closes the peer (its transfers in progress fail with kCancelled). Unknown pointers are
  /// ignored.
  void disconnect(MigrationPeer* peer);
  /// Starts a batched pull; returns a transfer to poll. The pointer stays valid until release()
  /// or the backend's destruction.
  Result<MigrationTransfer*> read(MigrationPeer* peer,
                                  std::span<const disaggd_migration_read_op> ops,
                                  std::chrono::milliseconds timeout);
  /// true: every byte landed; false: still in progress; an error status (kTimeout, kUnavailable
  /// when the peer disconnected, ...) when it failed.
  Result<bool> poll(MigrationTransfer* transfer);
  /// Frees the transfer, cancelling it if it is still in progress; afterwards the plugin no longer
  /// writes into its destination. Unknown pointers are ignored.
  void release(MigrationTransfer* transfer);

  const PluginInfo& info() const { return library_->info(); }

 private:
  MigrationBackend(std::shared_ptr<PluginLibrary> library, const disaggd_migration_vtable* vtable);

  std::string call_name(const char* function) const;
  /// call_plugin() plus the migration-specific meaning of REMOTE_DISCONNECTED.
  template <class Call>
  Status call(const char* function, Call&& body);

  // Declared first so it is destroyed last: the plugin's code must stay mapped until
  // destroy_fn has returned.
  std::shared_ptr<PluginLibrary> library_;
  const disaggd_migration_vtable* vtable_;
  PluginHostServices host_services_;
  disaggd_migration_instance* instance_ = nullptr;
  std::mutex mutex_;  ///< Guards the two maps below.
  std::unordered_map<MigrationPeer*, std::unique_ptr<MigrationPeer>> peers_;
  std::unordered_map<MigrationTransfer*, std::unique_ptr<MigrationTransfer>> transfers_;
};

}  // namespace disaggd::core
