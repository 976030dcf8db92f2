// PluginHost::rescan() and load_fresh(): plugin files dropped in or replaced while the daemon
// runs, as the proxy's admin endpoint uses them for a routing hot swap.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/plugins/plugin_host.h"
#include "core/plugins/routing_strategy.h"
#include "plugin_test_support.h"

namespace disaggd::core {
namespace {

using test_support::fixture_file;
using test_support::fixture_root;
using test_support::TempDir;
using ::testing::HasSubstr;

const char kPluginFile[] = "libdisaggd_routing_minimal_c.so";

std::filesystem::path version_two() {
  return fixture_root() / "minimal_c_v2" / kPluginFile;
}

/// Replaces `target` the way package managers do: write a new file, rename it over the old one.
void replace_file(const TempDir& dir, const std::filesystem::path& from,
                  const std::filesystem::path& target) {
  const auto staged = dir.copy_in(from, target.filename().string() + ".new");
  std::filesystem::rename(staged, target);
}

std::vector<std::string> files_of(const std::vector<PluginCandidate>& candidates) {
  std::vector<std::string> files;
  for (const auto& candidate : candidates) {
    files.push_back(candidate.file.filename().string());
  }
  return files;
}

TEST(PluginRescanTest, RescanReportsFilesAddedChangedAndRemoved) {
  TempDir dir;
  PluginHost host({dir.path()});
  EXPECT_TRUE(host.catalog().candidates().empty());

  const auto file = dir.copy_in(fixture_file("minimal_c"), kPluginFile);
  PluginCatalogChanges changes = host.rescan();
  EXPECT_THAT(files_of(changes.added), ::testing::ElementsAre(kPluginFile));
  EXPECT_TRUE(changes.changed.empty());
  EXPECT_TRUE(host.load(PluginKind::kRouting, "minimal_c").ok());

  changes = host.rescan();  // nothing happened in between
  EXPECT_TRUE(changes.added.empty());
  EXPECT_TRUE(changes.changed.empty());
  EXPECT_TRUE(changes.removed.empty());

  replace_file(dir, version_two(), file);
  changes = host.rescan();
  EXPECT_TRUE(changes.added.empty());
  EXPECT_THAT(files_of(changes.changed), ::testing::ElementsAre(kPluginFile));

  std::filesystem::remove(file);
  changes = host.rescan();
  EXPECT_THAT(files_of(changes.removed), ::testing::ElementsAre(kPluginFile));
  EXPECT_FALSE(host.load_fresh(PluginKind::kRouting, "minimal_c").ok());
}

TEST(PluginRescanTest, LoadFreshMapsTheCurrentFileWhileLoadKeepsTheCachedOne) {
  TempDir dir;
  const auto file = dir.copy_in(fixture_file("minimal_c"), kPluginFile);
  PluginHost host({dir.path()});
  auto original = host.load(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(original.ok()) << original.status().message();
  EXPECT_EQ((*original)->info().version, "0.1.0");

  replace_file(dir, version_two(), file);
  auto cached = host.load(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->get(), original->get());

  auto fresh = host.load_fresh(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_NE(fresh->get(), original->get());
  EXPECT_EQ((*fresh)->info().version, "2.0.0");
  EXPECT_EQ((*fresh)->info().file, file);  // named after the file, not the private copy

  // Both versions live side by side and work.
  auto old_strategy = RoutingStrategy::create(*original, {});
  auto new_strategy = RoutingStrategy::create(*fresh, {});
  ASSERT_TRUE(old_strategy.ok());
  ASSERT_TRUE(new_strategy.ok());
  std::vector<RoutingNodeStats> nodes(2);
  nodes[0].id = "a";
  nodes[0].in_flight = 3;
  nodes[1].id = "b";
  EXPECT_EQ((*old_strategy)->select({}, nodes).value(), 1u);
  EXPECT_EQ((*new_strategy)->select({}, nodes).value(), 1u);

  // Each fresh load is its own library, and no private copy is left behind.
  auto again = host.load_fresh(PluginKind::kRouting, "minimal_c");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->get(), fresh->get());
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename(), kPluginFile);
  }
}

TEST(PluginRescanTest, LoadFreshChecksLikeLoadAndNamesTheOriginalFile) {
  TempDir dir;
  const auto file =
      dir.copy_in(fixture_file("other_abi_major"), "libdisaggd_routing_other_abi_major.so");
  PluginHost host({dir.path()});
  auto fresh = host.load_fresh(PluginKind::kRouting, "other_abi_major");
  ASSERT_FALSE(fresh.ok());
  EXPECT_THAT(fresh.status().message(), HasSubstr(file.string()));
  EXPECT_THAT(fresh.status().message(), HasSubstr("major versions must match"));

  auto missing = host.load_fresh(PluginKind::kRouting, "absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace disaggd::core
