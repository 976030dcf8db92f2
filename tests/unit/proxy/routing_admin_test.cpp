// RoutingAdmin and RoutingSlot: a hot swap loads, creates and dry-runs the new strategy and
// replaces the active one only when every step worked; requests keep the instance they started
// with.
#include "proxy/routing_admin.h"

#include <filesystem>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/plugins/plugin_host.h"
#include "proxy/node_registry.h"
#include "proxy/routing_slot.h"

namespace disaggd::proxy {
namespace {

using ::testing::HasSubstr;

std::filesystem::path fixture_dir() {
  return std::filesystem::path(DISAGGD_TEST_FIXTURE_DIR) / "plugins";
}

/// A host seeing the fixture plugins and the real routing plugins, and a proxy-like setup around
/// it with one strategy (minimal_c) active.
struct AdminSetup {
  core::PluginHost host{{fixture_dir(), DISAGGD_TEST_PLUGIN_DIR}};
  NodeRegistry nodes;
  std::unique_ptr<RoutingSlot> slot;
  std::unique_ptr<RoutingAdmin> admin;

  AdminSetup() {
    auto library = host.load(core::PluginKind::kRouting, "minimal_c");
    auto strategy = core::RoutingStrategy::create(library.value(), {});
    slot = std::make_unique<RoutingSlot>(std::move(strategy).value(), core::PluginOptions{});
    admin = std::make_unique<RoutingAdmin>(host, *slot, nodes);
  }

  void add_node(const std::string& url) {
    NodeInfo info;
    info.url = url;
    info.epoch = 1;
    ASSERT_TRUE(nodes.add(info).ok());
  }
};

RoutingChoice choice(const std::string& body) {
  auto parsed = parse_routing_choice(nlohmann::json::parse(body));
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? *parsed : RoutingChoice{};
}

TEST(RoutingChoiceTest, ReadsStrategyAndTypedOptions) {
  const RoutingChoice parsed =
      choice(R"({"strategy": "random", "options": {"seed": 7, "weight": 0.5, "on": true,
                                                    "mode": "x"}})");
  EXPECT_EQ(parsed.strategy, "random");
  ASSERT_EQ(parsed.options.size(), 4u);
  EXPECT_EQ(options_to_json(parsed.options),
            nlohmann::json::parse(R"({"seed": 7, "weight": 0.5, "on": true, "mode": "x"})"));
  EXPECT_EQ(choice(R"({"strategy": "random"})").options.size(), 0u);
}

TEST(RoutingChoiceTest, RefusesBadBodiesNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", "JSON object"},
      {R"({})", "'strategy' is required"},
      {R"({"strategy": ""})", "'strategy' is required"},
      {R"({"strategy": 3})", "'strategy' is required"},
      {R"({"strategy": "random", "options": [1]})", "'options' must be an object"},
      {R"({"strategy": "random", "options": {"seed": [1]}})", "options.seed"},
      {R"({"strategy": "random", "extra": 1})", "unknown field 'extra'"},
  };
  for (const auto& [body, expected] : cases) {
    auto parsed = parse_routing_choice(nlohmann::json::parse(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_THAT(parsed.status().message(), HasSubstr(expected)) << body;
  }
}

TEST(RoutingAdminTest, SwapsToAWorkingStrategyAndKeepsTheOldOneForRequestsInFlight) {
  AdminSetup setup;
  setup.add_node("http://127.0.0.1:1");
  const std::shared_ptr<const ActiveRouting> in_flight = setup.slot->current();
  auto swapped =
      setup.admin->swap(choice(R"({"strategy": "random", "options": {"seed": 3}})"), "req-1");
  ASSERT_TRUE(swapped.ok()) << swapped.status().message();
  EXPECT_EQ((*swapped)["strategy"], "random");
  EXPECT_EQ((*swapped)["generation"], 1);
  EXPECT_EQ((*swapped)["options"]["seed"], 3);
  EXPECT_EQ((*swapped)["previous"]["strategy"], "minimal_c");
  EXPECT_EQ(setup.slot->current()->strategy->info().name, "random");
  // The request that took the old instance still routes with it.
  EXPECT_EQ(in_flight->strategy->info().name, "minimal_c");
  EXPECT_TRUE(in_flight->strategy->select({}, setup.nodes.all()).ok());
  EXPECT_EQ(setup.admin->describe()["generation"], 1);
}

TEST(RoutingAdminTest, EveryFailingStepLeavesTheActiveStrategyInPlace) {
  AdminSetup setup;
  setup.add_node("http://127.0.0.1:1");
  const std::pair<const char*, const char*> cases[] = {
      {R"({"strategy": "absent"})", "not found"},
      {R"({"strategy": "other_abi_major"})", "major versions must match"},
      {R"({"strategy": "not_elf"})", "cannot be loaded as a shared object"},
      {R"({"strategy": "create_fails"})", "refuses every configuration"},
      {R"({"strategy": "select_fails"})", "failed its dry run"},
      {R"({"strategy": "random", "options": {"no_such_option": 1}})", "no_such_option"},
  };
  for (const auto& [body, expected] : cases) {
    auto swapped = setup.admin->swap(choice(body), "req");
    ASSERT_FALSE(swapped.ok()) << body;
    EXPECT_THAT(swapped.status().message(), HasSubstr(expected)) << body;
    EXPECT_EQ(setup.slot->current()->strategy->info().name, "minimal_c") << body;
    EXPECT_EQ(setup.slot->current()->generation, 0u) << body;
  }
}

TEST(RoutingAdminTest, DryRunUsesMadeUpNodesWhenNoneIsRegistered) {
  AdminSetup setup;
  auto library = setup.host.load(core::PluginKind::kRouting, "select_fails");
  auto strategy = core::RoutingStrategy::create(library.value(), {});
  ASSERT_TRUE(strategy.ok());
  const core::Status empty_table = dry_run_routing(**strategy, setup.nodes);
  EXPECT_FALSE(empty_table.ok());
  EXPECT_THAT(empty_table.message(), HasSubstr("select_fails fixture cannot choose"));

  auto good = core::RoutingStrategy::create(
      setup.host.load(core::PluginKind::kRouting, "min_observed_latency").value(), {});
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(dry_run_routing(**good, setup.nodes).ok());
}

TEST(RoutingAdminTest, RescanListsAPluginDroppedInAfterStart) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("disaggd-admin-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  core::PluginHost host({dir, DISAGGD_TEST_PLUGIN_DIR});
  NodeRegistry nodes;
  RoutingSlot slot(
      core::RoutingStrategy::create(host.load(core::PluginKind::kRouting, "random").value(), {})
          .value(),
      {});
  RoutingAdmin admin(host, slot, nodes);
  EXPECT_FALSE(admin.swap(choice(R"({"strategy": "minimal_c"})"), "r").ok());

  std::filesystem::copy_file(fixture_dir() / "libdisaggd_routing_minimal_c.so",
                             dir / "libdisaggd_routing_minimal_c.so");
  const nlohmann::json scanned = admin.rescan();
  ASSERT_EQ(scanned["added"].size(), 1u);
  EXPECT_EQ(scanned["added"][0]["name"], "minimal_c");
  EXPECT_EQ(scanned["added"][0]["kind"], "routing");
  EXPECT_TRUE(admin.swap(choice(R"({"strategy": "minimal_c"})"), "r").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace disaggd::proxy
