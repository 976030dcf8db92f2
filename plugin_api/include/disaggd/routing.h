/// @file disaggd/routing.h
/// Routing plugin ABI (final for ABI 1.0): a strategy picks one node among the candidates the proxy
/// already filtered by role, model and health. The proxy keeps every statistic and passes it in,
/// so a freshly created instance (after a hot swap) decides as well as an old one.
///
/// Threading: the host calls `select_fn`, `on_request_done_fn` and `on_nodes_changed_fn` of one
/// instance concurrently from many threads; the plugin synchronises its own state. `create_fn` and
/// `destroy_fn` are never concurrent with other calls on the same instance.
#ifndef DISAGGD_ROUTING_H
#define DISAGGD_ROUTING_H

#include "disaggd/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Role of a node, as the proxy knows it.
typedef enum disaggd_node_role {
  DISAGGD_NODE_ROLE_HYBRID = 1,   ///< Runs whole requests.
  DISAGGD_NODE_ROLE_PREFILL = 2,  ///< Runs prompts and hands the KV cache over.
  DISAGGD_NODE_ROLE_DECODE = 3    ///< Pulls the KV cache and generates the answer.
} disaggd_node_role;

/// One candidate node and the proxy's statistics about it. Owned by the host; valid for the call.
typedef struct disaggd_routing_node {
  size_t struct_size;      ///< sizeof(disaggd_routing_node) of the host.
  disaggd_string_view id;  ///< Stable identity of the node (its base URL); borrowed.
  uint32_t role;           ///< A `disaggd_node_role`.
  uint32_t in_flight;      ///< Requests the proxy has sent to the node and not yet seen finish.
  /// Relative capacity configured for the node (a weight). Zero, negative or not finite means
  /// "not configured"; strategies then treat it like the mean configured speed (1 if none is).
  double speed;
  /// Latencies of the node's most recent successful requests in milliseconds, oldest first, or
  /// NULL when `recent_latency_count` is 0. End-to-end time as the proxy measured it; failed
  /// requests are left out (a node that fails fast must not look fast) and counted in
  /// `failed_requests` instead. Borrowed.
  const double* recent_latencies_ms;
  size_t recent_latency_count;  ///< Number of entries in `recent_latencies_ms`.
  uint64_t completed_requests;  ///< Requests finished successfully since the node joined.
  uint64_t failed_requests;     ///< Requests that failed on this node since it joined.
} disaggd_routing_node;

/// The request being routed. Owned by the host; valid for the call.
typedef struct disaggd_routing_request {
  size_t struct_size;              ///< sizeof(disaggd_routing_request) of the host.
  disaggd_string_view request_id;  ///< The proxy's request id (for logs); borrowed.
  disaggd_string_view model;       ///< The model the client asked for; borrowed.
  uint32_t role;                   ///< The `disaggd_node_role` this pick is for.
  uint64_t prompt_tokens;          ///< Prompt length if the proxy knows it, else 0.
} disaggd_routing_request;

/// How a routed request ended, reported after the fact. Owned by the host; valid for the call.
typedef struct disaggd_routing_outcome {
  size_t struct_size;              ///< sizeof(disaggd_routing_outcome) of the host.
  disaggd_string_view node_id;     ///< The node that served it; borrowed.
  disaggd_string_view request_id;  ///< The proxy's request id; borrowed.
  double latency_ms;               ///< End-to-end time the proxy measured.
  uint32_t ok;                     ///< 1 if the node answered successfully, else 0.
} disaggd_routing_outcome;

/// Opaque instance state, created and owned by the plugin.
typedef struct disaggd_routing_instance disaggd_routing_instance;

/// The routing vtable the descriptor's `vtable` points to (static storage). Every member is
/// required: the host refuses a plugin with a NULL member when it loads it.
typedef struct disaggd_routing_vtable {
  size_t struct_size;  ///< sizeof(disaggd_routing_vtable) the plugin was built with.

  /// Creates an instance. `options` (borrowed, `option_count` entries, NULL when 0) come from the
  /// config's `routing_options` or the admin endpoint; reject unknown keys and bad values with
  /// DISAGGD_STATUS_INVALID_ARGUMENT and a message in `error`. `host` stays valid until
  /// `destroy_fn` of this instance returns. On success store the instance in `*out_instance`.
  disaggd_status (*create_fn)(const disaggd_option* options, size_t option_count,
                              const disaggd_host_services* host,
                              disaggd_routing_instance** out_instance, disaggd_string_sink* error);

  /// Destroys an instance created by `create_fn`. No other call on it is running or will follow.
  void (*destroy_fn)(disaggd_routing_instance* instance);

  /// Picks one of `nodes` (`node_count` pointers to candidates, borrowed) for `request` and stores
  /// its index in `*out_index`. With no candidates return DISAGGD_STATUS_UNAVAILABLE. Must be fast
  /// (it runs on the request path) and must not block on I/O.
  disaggd_status (*select_fn)(disaggd_routing_instance* instance,
                              const disaggd_routing_request* request,
                              const disaggd_routing_node* const* nodes, size_t node_count,
                              size_t* out_index, disaggd_string_sink* error);

  /// Tells the instance how a request it routed ended. The host has already added the latency to
  /// the node's `recent_latencies_ms`; strategies that keep no private state just return OK.
  disaggd_status (*on_request_done_fn)(disaggd_routing_instance* instance,
                                       const disaggd_routing_outcome* outcome,
                                       disaggd_string_sink* error);

  /// Tells the instance the node table changed (a node joined, left or changed role or speed).
  /// `nodes` (borrowed) is the whole new table, not only candidates of one request.
  disaggd_status (*on_nodes_changed_fn)(disaggd_routing_instance* instance,
                                        const disaggd_routing_node* const* nodes, size_t node_count,
                                        disaggd_string_sink* error);
} disaggd_routing_vtable;

#ifdef __cplusplus
}
#endif

#endif /* DISAGGD_ROUTING_H */
