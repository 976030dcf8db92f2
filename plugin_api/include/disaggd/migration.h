/// @file disaggd/migration.h
/// Migration plugin ABI (ABI 1.0): moves KV cache bytes from a prefill node's memory into a decode
/// node's memory. Shaped like NIXL and the Mooncake Transfer Engine.
///
/// The decode side pulls. Both sides create an instance and register their KV pool
/// (`register_region_fn`). The prefill side publishes `local_endpoint_fn`'s JSON (the daemon sends
/// it along with the cache handle). The decode side calls `connect_fn` with that JSON once per
/// peer, posts batched non-blocking reads (`read_fn`) of {remote region, offset, local region,
/// offset, length} lists, polls them (`poll_fn`) and releases them (`release_fn`).
///
/// Endpoint JSON (what `local_endpoint_fn` writes and `connect_fn` reads) is one object with at
/// least these members; a plugin may add its own:
///
///     {"plugin": "tcp",                 // descriptor name of the plugin that wrote it
///      "addresses": ["10.0.0.5"],       // where peers reach this instance, tried in order
///      "port": 40123,                   // 0 or absent when the transport has no port
///      "epoch": "5f0c2a9e4b7d1e33",     // unique per instance start (16 hex digits)
///      "regions": [{"id": 1, "length": 603979776, "kind": "host"}]}
///
/// `epoch` changes whenever the process (or the instance) starts again. A plugin refuses a
/// connection whose endpoint carries another epoch than its own with
/// DISAGGD_STATUS_REMOTE_DISCONNECTED, so a decode node never reads a restarted prefill node's
/// memory through a stale description: it must fetch the new endpoint and connect again.
///
/// Threading: every call on one instance may come from several threads at once, except
/// `create_fn` and `destroy_fn`, which never overlap another call on that instance. One transfer
/// handle is polled and released by one thread at a time (different transfers: any threads).
/// Calls never block on the network longer than the deadline they are given (`timeout_ms`) or,
/// for `deregister_region_fn`, than the plugin's own I/O timeout.
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
/// transfers (decode side). The struct is borrowed for the `register_region_fn` call; the memory it
/// names is owned by the host and must stay valid (mapped, not freed) until
/// `deregister_region_fn` for its id has returned, or until `destroy_fn`.
typedef struct disaggd_memory_region {
  size_t struct_size;  ///< sizeof(disaggd_memory_region) of the host.
  void* base;          ///< First byte; owned by the host (usually the model backend's KV pool).
  uint64_t length;     ///< Bytes; greater than 0.
  uint32_t kind;       ///< A `disaggd_memory_kind`.
  int32_t device_id;   ///< GPU ordinal for DISAGGD_MEMORY_CUDA, else -1.
} disaggd_memory_region;

/// One contiguous copy of a batched read: `length` bytes from the peer's region `remote_region` at
/// `remote_offset` into the local region `local_region` at `local_offset`. Region ids are the ones
/// `register_region_fn` returned (remote ids travel in the peer's endpoint JSON). Both ranges must
/// lie inside their regions; ranges of one read must not overlap in local memory (where they do,
/// those bytes are undefined). Order within a batch carries no meaning: a plugin may sort, merge
/// and split ranges. Frozen for ABI major 1 (passed in arrays, so it carries no struct_size).
typedef struct disaggd_migration_read_op {
  uint64_t remote_region;  ///< Region id on the peer.
  uint64_t remote_offset;  ///< Byte offset in the peer's region.
  uint64_t local_region;   ///< Region id on this side.
  uint64_t local_offset;   ///< Byte offset in the local region.
  uint64_t length;         ///< Bytes to copy; greater than 0.
} disaggd_migration_read_op;

/// Opaque instance handle, owned by the plugin: valid from a successful `create_fn` until
/// `destroy_fn`.
typedef struct disaggd_migration_instance disaggd_migration_instance;
/// Opaque peer handle, owned by the plugin: valid from a successful `connect_fn` until
/// `disconnect_fn` (or `destroy_fn`) of its instance. Usable from any thread.
typedef struct disaggd_migration_peer disaggd_migration_peer;
/// Opaque transfer handle, owned by the plugin: valid from a successful `read_fn` until
/// `release_fn`. It does not depend on its peer: it stays valid (and may still be polled and
/// released) after `disconnect_fn` of the peer it was posted on.
typedef struct disaggd_migration_transfer disaggd_migration_transfer;

/// The migration vtable (static storage of the plugin library). Every member is required.
/// Statuses: the common ones of `disaggd_status`, with these meanings here:
/// - INVALID_ARGUMENT: a malformed endpoint, an unknown region id, a range outside its region, a
///   memory kind the plugin cannot serve, a token the peer refused; nothing was written.
/// - IN_PROGRESS: only from `poll_fn`, for a transfer that is still moving bytes.
/// - TIMEOUT: a deadline passed (connect, handshake, or the whole transfer).
/// - REMOTE_DISCONNECTED: the peer closed the connection, stopped listening, or restarted (its
///   epoch differs from the endpoint's); connect again with its current endpoint.
/// - CANCELLED: the transfer's peer was disconnected, or the instance is being destroyed.
typedef struct disaggd_migration_vtable {
  size_t struct_size;  ///< sizeof(disaggd_migration_vtable) the plugin was built with.

  /// Creates an instance; it may open its own listener (bound and listening when this returns) and
  /// start its own threads. `options` (borrowed for the call) as for routing plugins; unknown
  /// options are refused. `host` stays valid until `destroy_fn` returns. On success writes the new
  /// instance to `*out_instance`; on failure writes nothing there and explains in `error`.
  disaggd_status (*create_fn)(const disaggd_option* options, size_t option_count,
                              const disaggd_host_services* host,
                              disaggd_migration_instance** out_instance,
                              disaggd_string_sink* error);

  /// Destroys an instance: aborts open transfers, closes peers and listeners, joins its threads.
  /// Handles of the instance (peers, transfers) become invalid; the host releases or disconnects
  /// them first where it can. Never fails; never overlaps another call on the instance.
  void (*destroy_fn)(disaggd_migration_instance* instance);

  /// Registers `region` (struct borrowed for the call; the memory stays the host's, see
  /// `disaggd_memory_region`) and writes its id, unique within the instance and never 0, to
  /// `*out_region_id`. A region may be the source of peers' reads (it then appears in
  /// `local_endpoint_fn`'s JSON written afterwards) and the destination of this instance's reads.
  /// UNSUPPORTED for a memory kind the plugin cannot move.
  disaggd_status (*register_region_fn)(disaggd_migration_instance* instance,
                                       const disaggd_memory_region* region, uint64_t* out_region_id,
                                       disaggd_string_sink* error);

  /// Forgets a region. Peers' reads of it are refused from then on (NOT_FOUND on their side); a
  /// read of it being sent when this is called is finished or aborted first, so after this returns
  /// the plugin never touches the memory again. INVALID_ARGUMENT when an unreleased transfer of
  /// this instance writes into it (release it first); NOT_FOUND for an unknown id.
  disaggd_status (*deregister_region_fn)(disaggd_migration_instance* instance, uint64_t region_id,
                                         disaggd_string_sink* error);

  /// Writes this instance's endpoint JSON (see the top of this header) to `endpoint` (a host sink
  /// valid for the call). The JSON lists the regions registered at the time of the call.
  disaggd_status (*local_endpoint_fn)(disaggd_migration_instance* instance,
                                      disaggd_string_sink* endpoint, disaggd_string_sink* error);

  /// Connects to a peer described by `peer_endpoint` (JSON from its `local_endpoint_fn`; borrowed
  /// for the call), waiting at most `timeout_ms` for the connection and its handshake (token,
  /// epoch). On success writes a handle to `*out_peer`, valid until `disconnect_fn`. A handle may
  /// be used by many threads and many transfers at once. Connecting twice to one endpoint gives
  /// two independent handles.
  disaggd_status (*connect_fn)(disaggd_migration_instance* instance,
                               disaggd_string_view peer_endpoint, uint32_t timeout_ms,
                               disaggd_migration_peer** out_peer, disaggd_string_sink* error);

  /// Closes a peer connection and frees the handle. Transfers still in progress on it fail with
  /// CANCELLED (their handles stay valid until `release_fn`). Never fails.
  void (*disconnect_fn)(disaggd_migration_instance* instance, disaggd_migration_peer* peer);

  /// Starts copying `op_count` (> 0) ranges (array borrowed for the call) from `peer` into local
  /// regions, without blocking on the network. Every range is checked against the local regions
  /// and the peer's endpoint before anything moves (INVALID_ARGUMENT, nothing written). The
  /// transfer fails with DISAGGD_STATUS_TIMEOUT if it is not done `timeout_ms` after this call.
  /// On success writes a handle to `*out_transfer`, valid until `release_fn`. The local memory of
  /// the ranges must stay valid until then.
  disaggd_status (*read_fn)(disaggd_migration_instance* instance, disaggd_migration_peer* peer,
                            const disaggd_migration_read_op* ops, size_t op_count,
                            uint32_t timeout_ms, disaggd_migration_transfer** out_transfer,
                            disaggd_string_sink* error);

  /// Reports a transfer's state without blocking: OK when every byte landed, IN_PROGRESS, or the
  /// error that ended it (TIMEOUT, REMOTE_DISCONNECTED, NOT_FOUND for a region the peer
  /// deregistered, CANCELLED, ...) with its message in `error`. Once it is not IN_PROGRESS it stays
  /// the same. After an error the destination bytes are undefined.
  disaggd_status (*poll_fn)(disaggd_migration_instance* instance,
                            disaggd_migration_transfer* transfer, disaggd_string_sink* error);

  /// Frees a transfer handle; cancels it first if it is still in progress. After this returns the
  /// plugin never writes into the transfer's destination again (bytes of a cancelled transfer are
  /// undefined). Never blocks on the network. Never fails.
  void (*release_fn)(disaggd_migration_instance* instance, disaggd_migration_transfer* transfer);
} disaggd_migration_vtable;

#ifdef __cplusplus
}
#endif

#endif /* DISAGGD_MIGRATION_H */
