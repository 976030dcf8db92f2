// Kind-specific vtable checks.
#include "core/plugins/plugin_vtables.h"

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>

#include "disaggd/migration.h"
#include "disaggd/model.h"
#include "disaggd/routing.h"

namespace disaggd::core {
namespace {

using Member = std::pair<const char*, bool>;  // name, present

Status check(const PluginLibrary& library, std::size_t struct_size, std::size_t v1_size,
             std::initializer_list<Member> members) {
  if (struct_size < v1_size) {
    return Status(StatusCode::kInvalidArgument,
                  library.display_name() + ": vtable struct_size " + std::to_string(struct_size) +
                      " is smaller than the " + std::to_string(v1_size) + " bytes of ABI 1.0");
  }
  for (const auto& [name, present] : members) {
    if (!present) {
      return Status(StatusCode::kInvalidArgument,
                    library.display_name() + ": vtable member " + name + " is NULL");
    }
  }
  return Status();
}

}  // namespace

Status validate_vtable(const PluginLibrary& library) {
  switch (library.info().kind) {
    case PluginKind::kRouting: {
      const auto* v = static_cast<const disaggd_routing_vtable*>(library.vtable());
      return check(library, v->struct_size, sizeof(disaggd_routing_vtable),
                   {{"create_fn", v->create_fn != nullptr},
                    {"destroy_fn", v->destroy_fn != nullptr},
                    {"select_fn", v->select_fn != nullptr},
                    {"on_request_done_fn", v->on_request_done_fn != nullptr},
                    {"on_nodes_changed_fn", v->on_nodes_changed_fn != nullptr}});
    }
    case PluginKind::kMigration: {
      const auto* v = static_cast<const disaggd_migration_vtable*>(library.vtable());
      return check(library, v->struct_size, sizeof(disaggd_migration_vtable),
                   {{"create_fn", v->create_fn != nullptr},
                    {"destroy_fn", v->destroy_fn != nullptr},
                    {"register_region_fn", v->register_region_fn != nullptr},
                    {"deregister_region_fn", v->deregister_region_fn != nullptr},
                    {"local_endpoint_fn", v->local_endpoint_fn != nullptr},
                    {"connect_fn", v->connect_fn != nullptr},
                    {"disconnect_fn", v->disconnect_fn != nullptr},
                    {"read_fn", v->read_fn != nullptr},
                    {"poll_fn", v->poll_fn != nullptr},
                    {"release_fn", v->release_fn != nullptr}});
    }
    case PluginKind::kModel: {
      const auto* v = static_cast<const disaggd_model_vtable*>(library.vtable());
      return check(library, v->struct_size, sizeof(disaggd_model_vtable),
                   {{"create_fn", v->create_fn != nullptr},
                    {"destroy_fn", v->destroy_fn != nullptr},
                    {"kv_layout_fn", v->kv_layout_fn != nullptr},
                    {"kv_regions_fn", v->kv_regions_fn != nullptr},
                    {"forward_fn", v->forward_fn != nullptr}});
    }
  }
  return Status(StatusCode::kInternal, library.display_name() + ": unknown kind");
}

}  // namespace disaggd::core
