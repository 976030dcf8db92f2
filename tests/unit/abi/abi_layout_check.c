/* Compile-time check of the plugin ABI from C: every header compiles as strict C11, and the layout
 * of the v1 structs is pinned on x86-64/aarch64 Linux (LP64), so an accidental reorder, removal or
 * insertion in the middle of a struct fails the build instead of silently breaking plugins. */
#include <stddef.h>

#include "disaggd/migration.h"
#include "disaggd/model.h"
#include "disaggd/plugin.h"
#include "disaggd/routing.h"

#define PIN_OFFSET(type, field, value) \
  _Static_assert(offsetof(type, field) == (value), #type "." #field " moved")
#define PIN_SIZE(type, value) _Static_assert(sizeof(type) == (value), #type " changed size")

_Static_assert(DISAGGD_PLUGIN_ABI_MAJOR == 1u, "the layout below is ABI 1");

PIN_SIZE(disaggd_string_view, 16);
PIN_SIZE(disaggd_string_sink, 16);

/* Frozen array elements: no struct_size, so their size is their stride and must never change. */
PIN_SIZE(disaggd_option, 72);
PIN_OFFSET(disaggd_option, type, 16);
PIN_OFFSET(disaggd_option, int_value, 24);
PIN_OFFSET(disaggd_option, float_value, 32);
PIN_OFFSET(disaggd_option, string_value, 40);
PIN_OFFSET(disaggd_option, text, 56);
PIN_SIZE(disaggd_migration_read_op, 40);
PIN_SIZE(disaggd_forward_sequence, 32);

/* Growable structs: fields of 1.0 stay where they are; later minors append. */
PIN_OFFSET(disaggd_plugin_descriptor, abi_major, 8);
PIN_OFFSET(disaggd_plugin_descriptor, kind, 16);
PIN_OFFSET(disaggd_plugin_descriptor, name, 24);
PIN_OFFSET(disaggd_plugin_descriptor, vtable, 48);
PIN_SIZE(disaggd_plugin_descriptor, 56);
PIN_OFFSET(disaggd_host_services, host_log, 16);
PIN_OFFSET(disaggd_routing_vtable, create_fn, 8);
PIN_OFFSET(disaggd_routing_vtable, select_fn, 24);
PIN_OFFSET(disaggd_routing_vtable, on_nodes_changed_fn, 40);
PIN_OFFSET(disaggd_routing_node, id, 8);
PIN_OFFSET(disaggd_routing_node, speed, 32);
PIN_OFFSET(disaggd_routing_node, recent_latencies_ms, 40);
PIN_OFFSET(disaggd_routing_node, failed_requests, 64);
PIN_OFFSET(disaggd_routing_request, prompt_tokens, 48);
PIN_OFFSET(disaggd_routing_outcome, ok, 48);
PIN_OFFSET(disaggd_memory_region, base, 8);
PIN_OFFSET(disaggd_memory_region, kind, 24);
PIN_OFFSET(disaggd_memory_region, device_id, 28);
PIN_SIZE(disaggd_memory_region, 32);
PIN_OFFSET(disaggd_migration_vtable, create_fn, 8);
PIN_OFFSET(disaggd_migration_vtable, connect_fn, 48);
PIN_OFFSET(disaggd_migration_vtable, read_fn, 64);
PIN_OFFSET(disaggd_migration_vtable, release_fn, 80);
PIN_SIZE(disaggd_migration_vtable, 88);

/* An object file needs at least one definition. */
int disaggd_abi_layout_check_marker(void);
int disaggd_abi_layout_check_marker(void) {
  return DISAGGD_PLUGIN_ABI_MINOR == 0u;
}
