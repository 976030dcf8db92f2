/// @file disaggd/plugin.h
/// Common part of the disaggd plugin ABI: versions, statuses, views, sinks, options, host services,
/// the plugin descriptor and the single entry point every plugin library exports.
///
/// Rules that hold for every header of this ABI:
/// - Plain C. Nothing here throws, and a plugin must not let an exception leave any function it
///   hands to the host (the C++ SDK in `disaggd/sdk/` guarantees this).
/// - Every struct the host or the plugin may grow in a later minor version starts with
///   `struct_size`, set by whoever fills the struct to `sizeof` of the struct it was compiled with.
///   A reader only touches fields that lie inside `struct_size`.
/// - Views (`disaggd_string_view`, pointer + length) are borrowed: they are valid only for the
///   duration of the call they are passed to, unless the item says otherwise. Copy what you keep.
/// - Names: `*_fn` members are implemented by the plugin, `host_*` members by the host.
#ifndef DISAGGD_PLUGIN_H
#define DISAGGD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

/// Major version of the ABI described by these headers. The host refuses a plugin of another major.
#define DISAGGD_PLUGIN_ABI_MAJOR 1u
/// Minor version. A host accepts plugins of its own major with a minor up to its own; a newer minor
/// may rely on fields or calls the host does not have, so it is refused.
#define DISAGGD_PLUGIN_ABI_MINOR 0u

/// Marks the one symbol a plugin library exports. Build plugins with hidden visibility by default.
#define DISAGGD_PLUGIN_EXPORT __attribute__((visibility("default")))

/// Name of the entry-point symbol, for hosts that resolve it by string.
#define DISAGGD_PLUGIN_ENTRY_SYMBOL "disaggd_plugin_entry"

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a call across the ABI. Every fallible call returns one; details travel as text
/// through a `disaggd_string_sink`.
typedef enum disaggd_status {
  DISAGGD_STATUS_OK = 0,                ///< Success.
  DISAGGD_STATUS_IN_PROGRESS = 1,       ///< Asynchronous work has not finished yet; poll again.
  DISAGGD_STATUS_INVALID_ARGUMENT = 2,  ///< The caller passed something malformed or out of range.
  DISAGGD_STATUS_NOT_FOUND = 3,         ///< A named or numbered object does not exist.
  DISAGGD_STATUS_UNAVAILABLE = 4,       ///< Nothing can serve the call now (no candidate, no peer).
  DISAGGD_STATUS_UNSUPPORTED = 5,       ///< The plugin does not implement this call or mode.
  DISAGGD_STATUS_OUT_OF_MEMORY = 6,     ///< An allocation (host, device or pinned) failed.
  DISAGGD_STATUS_TIMEOUT = 7,           ///< A deadline passed before the work was done.
  DISAGGD_STATUS_REMOTE_DISCONNECTED = 8,  ///< The remote peer went away or restarted.
  DISAGGD_STATUS_CANCELLED = 9,            ///< The work was cancelled by the host.
  DISAGGD_STATUS_INTERNAL = 10             ///< A bug or an unexpected failure inside the plugin.
} disaggd_status;

/// Borrowed UTF-8 text: `data` points at `size` bytes, not necessarily NUL-terminated.
/// `data` may be NULL only when `size` is 0. Valid for the call it is passed to.
typedef struct disaggd_string_view {
  const char* data;  ///< First byte; borrowed.
  size_t size;       ///< Number of bytes.
} disaggd_string_view;

/// Borrowed bytes: `data` points at `size` bytes. Valid for the call it is passed to.
typedef struct disaggd_bytes_view {
  const uint8_t* data;  ///< First byte; borrowed.
  size_t size;          ///< Number of bytes.
} disaggd_bytes_view;

/// Where a plugin writes text for the host: error messages and text results (an endpoint's JSON).
/// Owned by the host and valid for the call it is passed to. The plugin may call `host_append`
/// any number of times; the host copies the bytes before it returns. Never NULL when passed.
typedef struct disaggd_string_sink {
  void* host_ptr;  ///< Host state; pass it back unchanged.
  /// Appends `size` bytes at `data` (borrowed for this call) to the text. Thread: the calling one.
  void (*host_append)(void* host_ptr, const char* data, size_t size);
} disaggd_string_sink;

/// Type of one plugin option value.
typedef enum disaggd_option_type {
  DISAGGD_OPTION_BOOL = 1,   ///< `bool_value` is 0 or 1.
  DISAGGD_OPTION_INT = 2,    ///< `int_value` holds it; `float_value` holds the same number.
  DISAGGD_OPTION_FLOAT = 3,  ///< `float_value` holds it.
  DISAGGD_OPTION_STRING = 4  ///< `string_value` holds it.
} disaggd_option_type;

/// One `key: value` setting handed to a plugin's `create_fn`, taken from the YAML config
/// (`*_options` maps) or from the admin endpoint. The host only passes scalar values; nested keys
/// are flattened with dots (`a.b`). Every field is filled; `text` is the value as written.
/// Frozen for ABI major 1 (arrays of it are indexed by the plugin, so it carries no struct_size).
typedef struct disaggd_option {
  disaggd_string_view key;           ///< Option name; borrowed for the `create_fn` call.
  uint32_t type;                     ///< A `disaggd_option_type`.
  uint32_t bool_value;               ///< For DISAGGD_OPTION_BOOL.
  int64_t int_value;                 ///< For DISAGGD_OPTION_INT.
  double float_value;                ///< For DISAGGD_OPTION_FLOAT, and INT converted.
  disaggd_string_view string_value;  ///< For DISAGGD_OPTION_STRING; borrowed.
  disaggd_string_view text;          ///< The value's text as configured; borrowed.
} disaggd_option;

/// Severity of a log line a plugin sends to the host.
typedef enum disaggd_log_level {
  DISAGGD_LOG_TRACE = 0,  ///< Step-by-step detail, off in production.
  DISAGGD_LOG_DEBUG = 1,  ///< Diagnostic detail.
  DISAGGD_LOG_INFO = 2,   ///< Normal events (an instance created, a peer connected).
  DISAGGD_LOG_WARN = 3,   ///< Something unexpected that the plugin handled.
  DISAGGD_LOG_ERROR = 4   ///< A failure the operator should look at.
} disaggd_log_level;

/// Services the host offers to one plugin instance. Owned by the host; the pointer passed to
/// `create_fn` stays valid until that instance's `destroy_fn` returns. Every callback is
/// thread-safe and may be called from any thread the plugin uses.
typedef struct disaggd_host_services {
  size_t struct_size;  ///< sizeof(disaggd_host_services) of the host.
  void* host_ptr;      ///< Host state; pass it back unchanged.
  /// Writes one log line through the daemon's logger, tagged with the plugin's name.
  /// `message` is borrowed for the call. Lines below the daemon's level are dropped cheaply.
  void (*host_log)(void* host_ptr, uint32_t level, disaggd_string_view message);
} disaggd_host_services;

/// What a plugin library provides. Each kind has its own vtable header.
typedef enum disaggd_plugin_kind {
  DISAGGD_PLUGIN_KIND_ROUTING = 1,    ///< Picks a node for a request; see disaggd/routing.h.
  DISAGGD_PLUGIN_KIND_MIGRATION = 2,  ///< Moves KV cache bytes between nodes; disaggd/migration.h.
  DISAGGD_PLUGIN_KIND_MODEL = 3       ///< Runs a model's forward pass; see disaggd/model.h.
} disaggd_plugin_kind;

/// Describes a plugin library. Returned by `disaggd_plugin_entry`; it and everything it points to
/// must live in static storage of the library (valid while the library is loaded) and never change.
typedef struct disaggd_plugin_descriptor {
  size_t struct_size;       ///< sizeof(disaggd_plugin_descriptor) the plugin was built with.
  uint32_t abi_major;       ///< DISAGGD_PLUGIN_ABI_MAJOR the plugin was built with.
  uint32_t abi_minor;       ///< DISAGGD_PLUGIN_ABI_MINOR the plugin was built with.
  uint32_t kind;            ///< A `disaggd_plugin_kind`.
  const char* name;         ///< NUL-terminated; [a-z0-9_]+; equals the `<name>` of the file name.
  const char* version;      ///< NUL-terminated version of the plugin itself, e.g. "1.2.0".
  const char* description;  ///< NUL-terminated one-line summary for `disaggd plugins`.
  /// Kind-specific vtable (`disaggd_routing_vtable` for routing, ...), static storage.
  const void* vtable;
} disaggd_plugin_descriptor;

/// Signature of the entry point. The host passes its own ABI version so a plugin may refuse a host
/// it cannot work with by returning NULL. Called once per load, on the loading thread, before any
/// other call; it must not allocate per-call state, start threads or throw.
typedef const disaggd_plugin_descriptor* (*disaggd_plugin_entry_fn)(uint32_t host_abi_major,
                                                                    uint32_t host_abi_minor);

/// The one symbol every plugin library exports (`DISAGGD_PLUGIN_ENTRY_SYMBOL`). Library files are
/// named `libdisaggd_<kind>_<name>.so`, with kind one of routing, migration, model.
DISAGGD_PLUGIN_EXPORT const disaggd_plugin_descriptor* disaggd_plugin_entry(
    uint32_t host_abi_major, uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* DISAGGD_PLUGIN_H */
