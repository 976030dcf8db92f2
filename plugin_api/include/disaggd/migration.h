/// @file disaggd/migration.h
/// Migration plugin ABI (DRAFT in ABI 1.0): moves KV cache bytes from a prefill node's memory into
/// a decode node's memory. The decode side pulls: it registers its KV pool, connects to the
/// prefill's endpoint and posts batched, non-blocking reads, then polls them. Shaped like NIXL and
/// the Mooncake Transfer Engine. The issue that implements the first migration plugin may extend
/// this header with an ABI minor bump (appending members; nothing here is removed or reordered).
///
/// Threading: all calls on one instance may come from several threads at once, except `create_fn`
/// and `destroy_fn`. A transfer handle is polled and released by one thread at a time.
#ifndef DISAGGD_MIGRATION_H
#define DISAGGD_MIGRATION_H

#include "disaggd/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Where a memory region lives.
typedef enum disaggd_memory_kind {
  DISAGGD_MEMORY_HOST = 1,  ///< Ordinary (or pinned) host memory.
  DISAGGD_MEMORY_CUDA = 2   ///< CUDA device memory; `device_id` names the GPU.
} disaggd_memory_kind;

/// A memory region the host asks the plugin to make readable by peers (prefill side) or writable by
/// transfers (decode side). Owned by the host; the memory stays valid until `deregister_region_fn`.
typedef struct disaggd_memory_region {
  size_t struct_size;  ///< sizeof(disaggd_memory_region) of the host.
  void* base;          ///< First byte; owned by the host (usually the model backend's KV pool).
  uint64_t length;     ///< Bytes.
  uint32_t kind;       ///< A `disaggd_memory_kind`.
  int32_t device_id;   ///< GPU ordinal for DISAGGD_MEMORY_CUDA, else -1.
} disaggd_memory_region;

/// One contiguous copy of a batched read: `length` bytes from the peer's region `remote_region` at
/// `remote_offset` into the local region `local_region` at `local_offset`. Region ids are the ones
/// `register_region_fn` returned (remote ids travel in the peer's endpoint description).
/// Frozen for ABI major 1 (passed in arrays, so it carries no struct_size).
typedef struct disaggd_migration_read_op {
  uint64_t remote_region;  ///< Region id on the peer.
  uint64_t remote_offset;  ///< Byte offset in the peer's region.
  uint64_t local_region;   ///< Region id on this side.
  uint64_t local_offset;   ///< Byte offset in the local region.
  uint64_t length;         ///< Bytes to copy.
} disaggd_migration_read_op;

/// Opaque instance, peer connection and transfer handles, all owned by the plugin.
typedef struct disaggd_migration_instance disaggd_migration_instance;
typedef struct disaggd_migration_peer disaggd_migration_peer;
typedef struct disaggd_migration_transfer disaggd_migration_transfer;

/// The migration vtable (static storage). Every member is required.
typedef struct disaggd_migration_vtable {
  size_t struct_size;  ///< sizeof(disaggd_migration_vtable) the plugin was built with.

  /// Creates an instance (it may open its own listener). `options` as for routing plugins.
  disaggd_status (*create_fn)(const disaggd_option* options, size_t option_count,
                              const disaggd_host_services* host,
                              disaggd_migration_instance** out_instance,
                              disaggd_string_sink* error);

  /// Destroys an instance: aborts open transfers, closes peers and listeners.
  void (*destroy_fn)(disaggd_migration_instance* instance);

  /// Registers `region` (borrowed struct; the memory it names stays the host's) and returns its id.
  disaggd_status (*register_region_fn)(disaggd_migration_instance* instance,
                                       const disaggd_memory_region* region, uint64_t* out_region_id,
                                       disaggd_string_sink* error);

  /// Forgets a region. Transfers touching it must have been released.
  disaggd_status (*deregister_region_fn)(disaggd_migration_instance* instance, uint64_t region_id,
                                         disaggd_string_sink* error);

  /// Writes this instance's endpoint description (JSON text: address, regions, epoch) to
  /// `endpoint`. Peers pass it to `connect_fn`.
  disaggd_status (*local_endpoint_fn)(disaggd_migration_instance* instance,
                                      disaggd_string_sink* endpoint, disaggd_string_sink* error);

  /// Connects to a peer described by `peer_endpoint` (JSON from its `local_endpoint_fn`; borrowed),
  /// waiting at most `timeout_ms`. The returned handle is valid until `disconnect_fn`.
  disaggd_status (*connect_fn)(disaggd_migration_instance* instance,
                               disaggd_string_view peer_endpoint, uint32_t timeout_ms,
                               disaggd_migration_peer** out_peer, disaggd_string_sink* error);

  /// Closes a peer connection. Transfers on it must have been released.
  void (*disconnect_fn)(disaggd_migration_instance* instance, disaggd_migration_peer* peer);

  /// Starts copying `op_count` ranges (array borrowed for the call) from `peer` into local
  /// regions, without blocking. The transfer fails with DISAGGD_STATUS_TIMEOUT if it is not done
  /// `timeout_ms` after this call. The handle is valid until `release_fn`.
  disaggd_status (*read_fn)(disaggd_migration_instance* instance, disaggd_migration_peer* peer,
                            const disaggd_migration_read_op* ops, size_t op_count,
                            uint32_t timeout_ms, disaggd_migration_transfer** out_transfer,
                            disaggd_string_sink* error);

  /// Reports a transfer's state without blocking: OK when every byte landed, IN_PROGRESS, or an
  /// error (TIMEOUT, REMOTE_DISCONNECTED, ...). Once it is not IN_PROGRESS it stays the same.
  disaggd_status (*poll_fn)(disaggd_migration_instance* instance,
                            disaggd_migration_transfer* transfer, disaggd_string_sink* error);

  /// Frees a transfer handle; cancels it first if it is still in progress. Destination bytes of a
  /// cancelled transfer are undefined.
  void (*release_fn)(disaggd_migration_instance* instance, disaggd_migration_transfer* transfer);
} disaggd_migration_vtable;

#ifdef __cplusplus
}
#endif

#endif /* DISAGGD_MIGRATION_H */
