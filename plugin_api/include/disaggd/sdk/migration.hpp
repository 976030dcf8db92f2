/// @file disaggd/sdk/migration.hpp
/// C++ plugin SDK for migration backends. Write a class derived from `MigrationBackend` with a
/// constructor `(disaggd::sdk::Options&, disaggd::sdk::Host)`, peer and transfer classes derived
/// from `MigrationPeer` and `MigrationTransfer`, then export it with one line:
///
///     DISAGGD_MIGRATION_PLUGIN(MyBackend, "my_transport", "1.0.0", "Moves KV bytes over ...");
///
/// The SDK fills the C vtable, checks arguments (null pointers, empty batches, zero lengths,
/// ranges whose end overflows), rejects unknown options, owns the handles it gives the host
/// (a peer or transfer object is deleted by `disconnect_fn` / `release_fn`) and turns every
/// exception into a status with a message, so nothing throws across the ABI.
#ifndef DISAGGD_SDK_MIGRATION_HPP
#define DISAGGD_SDK_MIGRATION_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "disaggd/migration.h"
#include "disaggd/sdk/descriptor.hpp"
#include "disaggd/sdk/error.hpp"
#include "disaggd/sdk/host.hpp"
#include "disaggd/sdk/options.hpp"
#include "disaggd/sdk/views.hpp"

namespace disaggd::sdk {

/// A region the host registers (mirrors disaggd_memory_region). The memory stays the host's.
struct MemoryRegion {
  void* base = nullptr;
  uint64_t length = 0;
  disaggd_memory_kind kind = DISAGGD_MEMORY_HOST;
  int32_t device_id = -1;
};

/// Read-only view of a read batch; valid for the `read` call that received it. Every op has a
/// length > 0 and offsets whose end does not overflow (the SDK checked).
class ReadOps {
 public:
  ReadOps(const disaggd_migration_read_op* ops, std::size_t count) noexcept
      : ops_(ops), count_(count) {}
  std::size_t size() const noexcept { return count_; }
  const disaggd_migration_read_op& operator[](std::size_t i) const noexcept { return ops_[i]; }
  const disaggd_migration_read_op* begin() const noexcept { return ops_; }
  const disaggd_migration_read_op* end() const noexcept { return ops_ + count_; }

 private:
  const disaggd_migration_read_op* ops_;
  std::size_t count_;
};

/// What `MigrationTransfer::poll` reports: DISAGGD_STATUS_OK, DISAGGD_STATUS_IN_PROGRESS, or the
/// error that ended the transfer with its message.
struct TransferStatus {
  disaggd_status status = DISAGGD_STATUS_IN_PROGRESS;
  std::string message;
};

/// A connection to one peer. Deleted by the SDK on `disconnect_fn` (the destructor closes it and
/// fails its transfers still in progress with DISAGGD_STATUS_CANCELLED). Used by many threads at
/// once.
class MigrationPeer {
 public:
  virtual ~MigrationPeer() = default;
};

/// One batched read. Deleted by the SDK on `release_fn`: the destructor must cancel the transfer
/// if it is still moving bytes and must not return before the plugin has stopped writing into its
/// destination. Polled and destroyed by one thread at a time.
class MigrationTransfer {
 public:
  virtual ~MigrationTransfer() = default;
  /// The transfer's state, without blocking. Once not IN_PROGRESS it never changes.
  virtual TransferStatus poll() = 0;
};

/// Base class of a migration backend. Every method may be called from many threads at once.
/// Throw `Error` (or any exception) to fail a call.
class MigrationBackend {
 public:
  virtual ~MigrationBackend() = default;

  /// Registers memory; returns a nonzero id unique within the instance.
  virtual uint64_t register_region(const MemoryRegion& region) = 0;
  /// Forgets a region (see disaggd_migration_vtable::deregister_region_fn for the contract).
  virtual void deregister_region(uint64_t region_id) = 0;
  /// This instance's endpoint JSON (see disaggd/migration.h).
  virtual std::string local_endpoint() = 0;
  /// Connects to the peer described by `endpoint` within `timeout`.
  virtual std::unique_ptr<MigrationPeer> connect(std::string_view endpoint,
                                                 std::chrono::milliseconds timeout) = 0;
  /// Starts a batched read from `peer` (a peer this backend's `connect` returned); must not block
  /// on the network. The transfer fails with DISAGGD_STATUS_TIMEOUT after `timeout`.
  virtual std::unique_ptr<MigrationTransfer> read(MigrationPeer& peer, const ReadOps& ops,
                                                  std::chrono::milliseconds timeout) = 0;
};

namespace detail {

/// Checks what the SDK can check of a batch without knowing any region; throws
/// Error(INVALID_ARGUMENT) naming the first bad op.
inline void validate_read_ops(const disaggd_migration_read_op* ops, std::size_t count) {
  if (count == 0) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "empty read batch");
  }
  if (ops == nullptr) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null read ops");
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (std::size_t i = 0; i < count; ++i) {
    const disaggd_migration_read_op& op = ops[i];
    if (op.length == 0) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "read op " + std::to_string(i) + " is empty");
    }
    if (op.remote_offset > kMax - op.length || op.local_offset > kMax - op.length) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                  "read op " + std::to_string(i) + ": offset + length overflows");
    }
  }
}

/// Fills the C migration vtable with calls into `Backend`.
template <class Backend>
struct MigrationAdapter {
  static MigrationBackend* self(disaggd_migration_instance* instance) noexcept {
    return reinterpret_cast<MigrationBackend*>(instance);
  }

  static disaggd_status create(const disaggd_option* options, size_t option_count,
                               const disaggd_host_services* host,
                               disaggd_migration_instance** out_instance,
                               disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (out_instance == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "out_instance is null");
      }
      Options parsed(options, option_count);
      std::unique_ptr<MigrationBackend> backend = std::make_unique<Backend>(parsed, Host(host));
      parsed.reject_unknown();
      *out_instance = reinterpret_cast<disaggd_migration_instance*>(backend.release());
      return DISAGGD_STATUS_OK;
    });
  }

  static void destroy(disaggd_migration_instance* instance) noexcept { delete self(instance); }

  static disaggd_status register_region(disaggd_migration_instance* instance,
                                        const disaggd_memory_region* region,
                                        uint64_t* out_region_id,
                                        disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || region == nullptr || out_region_id == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to register_region");
      }
      if (region->struct_size < sizeof(disaggd_memory_region)) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "memory region struct is too small");
      }
      if (region->base == nullptr || region->length == 0) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "memory region is empty");
      }
      if (region->kind != DISAGGD_MEMORY_HOST && region->kind != DISAGGD_MEMORY_CUDA) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                    "unknown memory kind " + std::to_string(region->kind));
      }
      MemoryRegion parsed;
      parsed.base = region->base;
      parsed.length = region->length;
      parsed.kind = static_cast<disaggd_memory_kind>(region->kind);
      parsed.device_id = region->device_id;
      const uint64_t id = self(instance)->register_region(parsed);
      if (id == 0) {
        throw Error(DISAGGD_STATUS_INTERNAL, "backend returned region id 0");
      }
      *out_region_id = id;
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status deregister_region(disaggd_migration_instance* instance, uint64_t region_id,
                                          disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null instance");
      }
      self(instance)->deregister_region(region_id);
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status local_endpoint(disaggd_migration_instance* instance,
                                       disaggd_string_sink* endpoint,
                                       disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || endpoint == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to local_endpoint");
      }
      write_to_sink(endpoint, self(instance)->local_endpoint());
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status connect(disaggd_migration_instance* instance,
                                disaggd_string_view peer_endpoint, uint32_t timeout_ms,
                                disaggd_migration_peer** out_peer,
                                disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || out_peer == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to connect");
      }
      std::unique_ptr<MigrationPeer> peer = self(instance)->connect(
          to_string_view(peer_endpoint), std::chrono::milliseconds(timeout_ms));
      if (peer == nullptr) {
        throw Error(DISAGGD_STATUS_INTERNAL, "backend returned no peer");
      }
      *out_peer = reinterpret_cast<disaggd_migration_peer*>(peer.release());
      return DISAGGD_STATUS_OK;
    });
  }

  static void disconnect(disaggd_migration_instance* /*instance*/,
                         disaggd_migration_peer* peer) noexcept {
    delete reinterpret_cast<MigrationPeer*>(peer);
  }

  static disaggd_status read(disaggd_migration_instance* instance, disaggd_migration_peer* peer,
                             const disaggd_migration_read_op* ops, size_t op_count,
                             uint32_t timeout_ms, disaggd_migration_transfer** out_transfer,
                             disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || peer == nullptr || out_transfer == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to read");
      }
      validate_read_ops(ops, op_count);
      std::unique_ptr<MigrationTransfer> transfer =
          self(instance)->read(*reinterpret_cast<MigrationPeer*>(peer), ReadOps(ops, op_count),
                               std::chrono::milliseconds(timeout_ms));
      if (transfer == nullptr) {
        throw Error(DISAGGD_STATUS_INTERNAL, "backend returned no transfer");
      }
      *out_transfer = reinterpret_cast<disaggd_migration_transfer*>(transfer.release());
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status poll(disaggd_migration_instance* instance,
                             disaggd_migration_transfer* transfer,
                             disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || transfer == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to poll");
      }
      TransferStatus state = reinterpret_cast<MigrationTransfer*>(transfer)->poll();
      if (state.status != DISAGGD_STATUS_OK && state.status != DISAGGD_STATUS_IN_PROGRESS) {
        write_to_sink(error, state.message);
      }
      return state.status;
    });
  }

  static void release(disaggd_migration_instance* /*instance*/,
                      disaggd_migration_transfer* transfer) noexcept {
    delete reinterpret_cast<MigrationTransfer*>(transfer);
  }

  static const disaggd_migration_vtable* vtable() noexcept {
    static const disaggd_migration_vtable table = {
        sizeof(disaggd_migration_vtable),
        &create,
        &destroy,
        &register_region,
        &deregister_region,
        &local_endpoint,
        &connect,
        &disconnect,
        &read,
        &poll,
        &release,
    };
    return &table;
  }
};

}  // namespace detail

/// The descriptor of a migration plugin implemented by `Backend` (see DISAGGD_MIGRATION_PLUGIN).
template <class Backend>
const disaggd_plugin_descriptor* migration_descriptor(const char* name, const char* version,
                                                      const char* description) noexcept {
  return make_descriptor<Backend>(DISAGGD_PLUGIN_KIND_MIGRATION, name, version, description,
                                  detail::MigrationAdapter<Backend>::vtable());
}

}  // namespace disaggd::sdk

/// Exports `BackendClass` as the migration plugin of this library. Use once per library, at
/// namespace scope, with a trailing semicolon; the strings are literals.
#define DISAGGD_MIGRATION_PLUGIN(BackendClass, name, version, description)                 \
  extern "C" DISAGGD_PLUGIN_EXPORT const disaggd_plugin_descriptor* disaggd_plugin_entry(  \
      uint32_t /*host_abi_major*/, uint32_t /*host_abi_minor*/) {                          \
    return ::disaggd::sdk::migration_descriptor<BackendClass>(name, version, description); \
  }                                                                                        \
  static_assert(true, "DISAGGD_MIGRATION_PLUGIN is used with a trailing semicolon")

#endif  // DISAGGD_SDK_MIGRATION_HPP
