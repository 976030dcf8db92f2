// validate_vtable(): a routing vtable with a NULL member or a short struct_size is refused when
// the plugin loads, naming the plugin, its file and the member.
#include "core/plugins/plugin_vtables.h"

#include <string>

#include <gtest/gtest.h>

#include "disaggd/routing.h"
#include "plugin_test_support.h"

namespace disaggd::core {
namespace {

using test_support::failed_with;
using test_support::fixture_file;

TEST(PluginVtablesTest, CompleteRoutingVtablePasses) {
  for (const char* name : {"minimal_c", "raw_throw", "sdk_throw", "create_fails"}) {
    auto library = PluginLibrary::open(fixture_file(name));
    ASSERT_TRUE(library.ok()) << library.status().message();
    const Status status = validate_vtable(**library);
    EXPECT_TRUE(status.ok()) << name << ": " << status.message();
  }
}

TEST(PluginVtablesTest, NullMemberIsNamed) {
  auto library = PluginLibrary::open(fixture_file("null_member"));
  ASSERT_TRUE(library.ok()) << library.status().message();
  EXPECT_TRUE(failed_with(validate_vtable(**library), StatusCode::kInvalidArgument,
                          fixture_file("null_member"),
                          "routing plugin 'null_member' (" + fixture_file("null_member").string() +
                              "): vtable member on_nodes_changed_fn is NULL"));
}

TEST(PluginVtablesTest, ShortVtableIsRefused) {
  auto library = PluginLibrary::open(fixture_file("small_vtable"));
  ASSERT_TRUE(library.ok()) << library.status().message();
  EXPECT_TRUE(failed_with(
      validate_vtable(**library), StatusCode::kInvalidArgument, fixture_file("small_vtable"),
      "vtable struct_size " +
          std::to_string(offsetof(disaggd_routing_vtable, on_nodes_changed_fn)) +
          " is smaller than the " + std::to_string(sizeof(disaggd_routing_vtable)) +
          " bytes of ABI 1.0"));
}

}  // namespace
}  // namespace disaggd::core
