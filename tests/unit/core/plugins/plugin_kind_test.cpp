// Plugin kinds and the libdisaggd_<kind>_<name>.so file-name convention.
#include "core/plugins/plugin_kind.h"

#include <gtest/gtest.h>

namespace disaggd::core {
namespace {

TEST(PluginKindTest, NamesRoundTrip) {
  for (PluginKind kind : {PluginKind::kRouting, PluginKind::kMigration, PluginKind::kModel}) {
    const auto parsed = parse_plugin_kind(plugin_kind_name(kind));
    ASSERT_TRUE(parsed.has_value()) << plugin_kind_name(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(plugin_kind_name(PluginKind::kRouting), "routing");
  EXPECT_EQ(plugin_kind_name(PluginKind::kMigration), "migration");
  EXPECT_EQ(plugin_kind_name(PluginKind::kModel), "model");
  EXPECT_FALSE(parse_plugin_kind("Routing").has_value());
  EXPECT_FALSE(parse_plugin_kind("cache").has_value());
  EXPECT_FALSE(parse_plugin_kind("").has_value());
}

TEST(PluginKindTest, FromAbi) {
  EXPECT_EQ(plugin_kind_from_abi(DISAGGD_PLUGIN_KIND_ROUTING), PluginKind::kRouting);
  EXPECT_EQ(plugin_kind_from_abi(DISAGGD_PLUGIN_KIND_MIGRATION), PluginKind::kMigration);
  EXPECT_EQ(plugin_kind_from_abi(DISAGGD_PLUGIN_KIND_MODEL), PluginKind::kModel);
  EXPECT_FALSE(plugin_kind_from_abi(0).has_value());
  EXPECT_FALSE(plugin_kind_from_abi(4).has_value());
}

TEST(PluginKindTest, ValidNames) {
  for (const char* name : {"random", "min_expected_latency", "a", "v2", "_"}) {
    EXPECT_TRUE(is_valid_plugin_name(name)) << name;
  }
  for (const char* name : {"", "Random", "a-b", "a.b", "a b", "a/b", "é"}) {
    EXPECT_FALSE(is_valid_plugin_name(name)) << name;
  }
}

TEST(PluginKindTest, ParsesPluginFileNames) {
  auto random = parse_plugin_file_name("libdisaggd_routing_random.so");
  ASSERT_TRUE(random.has_value());
  EXPECT_EQ(random->kind, PluginKind::kRouting);
  EXPECT_EQ(random->name, "random");
  // The kind ends at the first '_'; the name may contain more.
  auto latency = parse_plugin_file_name("libdisaggd_routing_min_expected_latency.so");
  ASSERT_TRUE(latency.has_value());
  EXPECT_EQ(latency->name, "min_expected_latency");
  auto rdma = parse_plugin_file_name("libdisaggd_migration_mooncake_rdma.so");
  ASSERT_TRUE(rdma.has_value());
  EXPECT_EQ(rdma->kind, PluginKind::kMigration);
  EXPECT_EQ(rdma->name, "mooncake_rdma");
  auto model = parse_plugin_file_name("libdisaggd_model_sim.so");
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(model->kind, PluginKind::kModel);
}

TEST(PluginKindTest, RejectsOtherFileNames) {
  for (const char* file :
       {"libdisaggd_routing_.so", "libdisaggd_routing.so", "libdisaggd_cache_lru.so",
        "libdisaggd_routing_Random.so", "libdisaggd_routing_random.so.1",
        "libdisaggd_routing_random.dylib", "disaggd_routing_random.so", "libdisaggd_routing_a-b.so",
        "libdisaggd_.so", "libdisaggd_routing_random"}) {
    EXPECT_FALSE(parse_plugin_file_name(file).has_value()) << file;
  }
}

TEST(PluginKindTest, FileNameRoundTrips) {
  EXPECT_EQ(plugin_file_name(PluginKind::kRouting, "random"), "libdisaggd_routing_random.so");
  EXPECT_EQ(plugin_file_name(PluginKind::kModel, "torch"), "libdisaggd_model_torch.so");
  const auto parsed = parse_plugin_file_name(plugin_file_name(PluginKind::kMigration, "cuda_ipc"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->kind, PluginKind::kMigration);
  EXPECT_EQ(parsed->name, "cuda_ipc");
}

}  // namespace
}  // namespace disaggd::core
