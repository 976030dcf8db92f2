// PluginHost: loading by kind and name with every failure mode of a plugin file reported with the
// file and the reason, caching, lifetime of loaded libraries, and plugin_search_dirs().
#include "core/plugins/plugin_host.h"

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/plugins/routing_strategy.h"
#include "disaggd/routing.h"
#include "plugin_test_support.h"

namespace disaggd::core {
namespace {

using test_support::abi_text;
using test_support::failed_with;
using test_support::fixture_file;
using test_support::fixture_plugin_dir;
using test_support::fixture_root;
using test_support::is_mapped;
using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PluginHostTest, LoadsTheWellFormedCPlugin) {
  PluginHost host({fixture_plugin_dir()});
  auto library = host.load(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(library.ok()) << library.status().message();
  EXPECT_EQ((*library)->info().name, "minimal_c");
  EXPECT_EQ((*library)->info().file, fixture_file("minimal_c"));
}

TEST(PluginHostTest, SecondLoadReturnsTheCachedLibrary) {
  PluginHost host({fixture_plugin_dir()});
  auto first = host.load(PluginKind::kRouting, "minimal_c");
  auto second = host.load(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(first->get(), second->get());
  // load_candidate() shares the same cache.
  auto candidate = host.catalog().find(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(candidate.ok());
  auto third = host.load_candidate(*candidate);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(first->get(), third->get());
}

TEST(PluginHostTest, NothingIsLoadedUntilAskedFor) {
  TempDir dir;
  const auto file = dir.copy_in(fixture_file("minimal_c"), "libdisaggd_routing_minimal_c.so");
  PluginHost host({dir.path()});
  EXPECT_EQ(host.catalog().candidates().size(), 1u);
  EXPECT_FALSE(is_mapped(file));
  ASSERT_TRUE(host.load(PluginKind::kRouting, "minimal_c").ok());
  EXPECT_TRUE(is_mapped(file));
}

// One row per broken fixture: the code and the part of the message that gives the reason.
struct FailureCase {
  const char* name;
  StatusCode code;
  std::string reason;
};

// Without it gtest prints the struct's bytes, padding included.
void PrintTo(const FailureCase& failure_case, std::ostream* os) {
  *os << failure_case.name;
}

std::string vtable_too_small_reason() {
  return "vtable struct_size " +
         std::to_string(offsetof(disaggd_routing_vtable, on_nodes_changed_fn)) +
         " is smaller than the " + std::to_string(sizeof(disaggd_routing_vtable)) +
         " bytes of ABI 1.0";
}

std::vector<FailureCase> failure_cases() {
  return {
      {"not_elf", StatusCode::kInvalidArgument, "cannot be loaded as a shared object"},
      {"undefined_symbol", StatusCode::kInvalidArgument, "disaggd_fixture_symbol_nobody_defines"},
      {"no_entry", StatusCode::kInvalidArgument, "entry symbol disaggd_plugin_entry not found"},
      {"entry_null", StatusCode::kFailedPrecondition, "disaggd_plugin_entry returned NULL"},
      {"entry_throws", StatusCode::kInternal, "threw an exception across the ABI"},
      {"other_abi_major", StatusCode::kFailedPrecondition,
       "built for plugin ABI " + abi_text(DISAGGD_PLUGIN_ABI_MAJOR + 1, 0) +
           ", but this disaggd speaks ABI " +
           abi_text(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR)},
      {"newer_abi_minor", StatusCode::kFailedPrecondition,
       "built for plugin ABI " + abi_text(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR + 1) +
           ", newer than this disaggd's ABI " +
           abi_text(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR)},
      {"small_descriptor", StatusCode::kInvalidArgument, "descriptor struct_size"},
      {"unknown_kind", StatusCode::kInvalidArgument, "unknown plugin kind 42"},
      {"invalid_name", StatusCode::kInvalidArgument, "descriptor name must be non-empty"},
      {"no_version", StatusCode::kInvalidArgument, "descriptor has no version"},
      {"no_vtable", StatusCode::kInvalidArgument, "descriptor has no vtable"},
      {"wrong_kind", StatusCode::kInvalidArgument,
       "declares kind 'migration' but its file name says 'routing'"},
      {"name_mismatch", StatusCode::kInvalidArgument,
       "declares name 'some_other_name' but its file name says 'name_mismatch'"},
      {"null_member", StatusCode::kInvalidArgument, "vtable member on_nodes_changed_fn is NULL"},
      {"small_vtable", StatusCode::kInvalidArgument, vtable_too_small_reason()},
  };
}

class PluginHostFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(PluginHostFailureTest, NamesTheFileAndTheReason) {
  const FailureCase& param = GetParam();
  PluginHost host({fixture_plugin_dir()});
  const Status status = host.load(PluginKind::kRouting, param.name).status();
  EXPECT_TRUE(failed_with(status, param.code, fixture_file(param.name), param.reason));
  // A refused plugin is not cached: asking again fails the same way instead of returning it.
  const Status again = host.load(PluginKind::kRouting, param.name).status();
  EXPECT_EQ(again.code(), status.code());
  EXPECT_EQ(again.message(), status.message());
  // And the host keeps working for good plugins.
  EXPECT_TRUE(host.load(PluginKind::kRouting, "minimal_c").ok());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PluginHostFailureTest, ::testing::ValuesIn(failure_cases()),
                         [](const ::testing::TestParamInfo<FailureCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(PluginHostTest, FileRemovedAfterTheScan) {
  TempDir dir;
  const auto file = dir.copy_in(fixture_file("minimal_c"), "libdisaggd_routing_minimal_c.so");
  PluginHost host({dir.path()});
  std::filesystem::remove(file);
  EXPECT_TRUE(failed_with(host.load(PluginKind::kRouting, "minimal_c").status(),
                          StatusCode::kNotFound, file, "file not found"));
}

TEST(PluginHostTest, DanglingSymlinkIsFileNotFound) {
  TempDir dir;
  const auto link = dir.path() / "libdisaggd_routing_gone.so";
  std::filesystem::create_symlink(dir.path() / "nowhere.so", link);
  PluginHost host({dir.path()});
  EXPECT_TRUE(failed_with(host.load(PluginKind::kRouting, "gone").status(), StatusCode::kNotFound,
                          link, "file not found"));
}

TEST(PluginHostTest, UnknownNameListsDirectoriesAndSuggestsAName) {
  TempDir empty;
  PluginHost host({empty.path(), fixture_plugin_dir()});
  const Status status = host.load(PluginKind::kRouting, "minimal").status();
  ASSERT_EQ(status.code(), StatusCode::kNotFound) << status.message();
  EXPECT_THAT(status.message(),
              HasSubstr("no libdisaggd_routing_minimal.so in " + empty.path().string() + ", " +
                        fixture_plugin_dir().string()));
  EXPECT_THAT(status.message(), HasSubstr("did you mean 'minimal_c'?"));
  EXPECT_THAT(status.message(), HasSubstr("available routing plugins: "));
  EXPECT_THAT(status.message(), HasSubstr("sdk_throw"));
}

TEST(PluginHostTest, SamePluginInTwoDirectoriesIsRefused) {
  const auto a = fixture_root() / "dup_a";
  const auto b = fixture_root() / "dup_b";
  // Each copy is a good plugin on its own ...
  ASSERT_TRUE(PluginHost({a}).load(PluginKind::kRouting, "dup").ok());
  ASSERT_TRUE(PluginHost({b}).load(PluginKind::kRouting, "dup").ok());
  // ... but two of them make the name ambiguous, and both files are named.
  PluginHost host({a, b});
  const Status status = host.load(PluginKind::kRouting, "dup").status();
  ASSERT_EQ(status.code(), StatusCode::kAlreadyExists) << status.message();
  EXPECT_THAT(status.message(), HasSubstr((a / "libdisaggd_routing_dup.so").string()));
  EXPECT_THAT(status.message(), HasSubstr((b / "libdisaggd_routing_dup.so").string()));
}

TEST(PluginHostTest, SameDirectoryListedTwiceIsNotADuplicate) {
  const auto a = fixture_root() / "dup_a";
  PluginHost host({a, a / ".", a});
  auto library = host.load(PluginKind::kRouting, "dup");
  ASSERT_TRUE(library.ok()) << library.status().message();
  EXPECT_EQ((*library)->info().name, "dup");
}

TEST(PluginHostTest, LibraryOutlivesHostWhileAStrategyUsesIt) {
  TempDir dir;  // A private copy, so nothing else in this process maps the same file.
  const auto file = dir.copy_in(fixture_file("minimal_c"), "libdisaggd_routing_minimal_c.so");
  std::unique_ptr<RoutingStrategy> strategy;
  {
    auto host = std::make_unique<PluginHost>(std::vector<std::filesystem::path>{dir.path()});
    auto library = host->load(PluginKind::kRouting, "minimal_c");
    ASSERT_TRUE(library.ok()) << library.status().message();
    auto created = RoutingStrategy::create(*library, {});
    ASSERT_TRUE(created.ok()) << created.status().message();
    strategy = std::move(*created);
    library->reset();
    host.reset();
  }
  // The host and every other reference are gone; the strategy alone keeps the code mapped.
  ASSERT_TRUE(is_mapped(file));
  std::vector<RoutingNodeStats> nodes(3);
  nodes[0].in_flight = 4;
  nodes[1].in_flight = 2;
  nodes[2].in_flight = 9;
  auto chosen = strategy->select(RoutingRequestInfo{}, nodes);
  ASSERT_TRUE(chosen.ok()) << chosen.status().message();
  EXPECT_EQ(*chosen, 1u);
  EXPECT_EQ(strategy->info().name, "minimal_c");
  strategy.reset();
  EXPECT_FALSE(is_mapped(file));
}

TEST(PluginSearchDirsTest, EnvironmentFirstThenConfigThenInstallDirWithoutDuplicates) {
  const auto dirs =
      plugin_search_dirs({"c", "b", "/etc/plugins"}, "a::b:a", "/opt/disaggd/bin/disaggd");
  EXPECT_THAT(dirs, ElementsAre("a", "b", "c", "/etc/plugins", "/opt/disaggd/lib/disaggd/plugins"));
}

TEST(PluginSearchDirsTest, NoEnvironment) {
  EXPECT_THAT(plugin_search_dirs({"/x"}, nullptr, "/usr/bin/disaggd"),
              ElementsAre("/x", "/usr/lib/disaggd/plugins"));
  EXPECT_THAT(plugin_search_dirs({}, "", "/usr/bin/disaggd"),
              ElementsAre("/usr/lib/disaggd/plugins"));
}

TEST(PluginSearchDirsTest, EmptyEntriesAndNoExecutable) {
  EXPECT_THAT(plugin_search_dirs({}, ":/p1::/p2:", ""), ElementsAre("/p1", "/p2"));
  EXPECT_TRUE(plugin_search_dirs({}, ":::", "").empty());
}

TEST(PluginSearchDirsTest, InstallDirIsNotRepeatedWhenConfigured) {
  EXPECT_THAT(plugin_search_dirs({"/usr/lib/disaggd/plugins"}, "/usr/lib/disaggd/plugins",
                                 "/usr/bin/disaggd"),
              ElementsAre("/usr/lib/disaggd/plugins"));
}

}  // namespace
}  // namespace disaggd::core
