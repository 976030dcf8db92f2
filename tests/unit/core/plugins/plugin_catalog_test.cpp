// PluginCatalog: scanning plugin directories by file name, deduplication, and the messages of
// find() for missing and duplicate plugins.
#include "core/plugins/plugin_catalog.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin_test_support.h"

namespace disaggd::core {
namespace {

using test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> candidate_names(const PluginCatalog& catalog) {
  std::vector<std::string> names;
  for (const auto& candidate : catalog.candidates()) {
    names.push_back(std::string(plugin_kind_name(candidate.kind)) + "/" + candidate.name);
  }
  return names;
}

TEST(PluginCatalogTest, IgnoresNonPluginFilesAndWarnsOnBadlyNamedPluginFiles) {
  TempDir dir;
  dir.touch("README.md");
  dir.touch("libfoo.so");
  dir.touch("disaggd_routing_nolib.so");
  dir.touch("libdisaggd_routing_good.so");
  dir.touch("libdisaggd_routing_Bad-Name.so");
  dir.touch("libdisaggd_cache_lru.so");         // unknown kind
  dir.touch("libdisaggd_routing_random.so.1");  // versioned, not a plugin file name
  dir.touch("libdisaggd_routing_.so");          // empty name
  const PluginCatalog catalog = PluginCatalog::scan({dir.path()});

  ASSERT_EQ(catalog.candidates().size(), 1u);
  EXPECT_EQ(catalog.candidates()[0].kind, PluginKind::kRouting);
  EXPECT_EQ(catalog.candidates()[0].name, "good");
  EXPECT_EQ(catalog.candidates()[0].file, dir.path() / "libdisaggd_routing_good.so");

  // Only libdisaggd_* files that break the naming rule are worth a warning.
  ASSERT_EQ(catalog.warnings().size(), 4u);
  for (const char* bad : {"libdisaggd_routing_Bad-Name.so", "libdisaggd_cache_lru.so",
                          "libdisaggd_routing_random.so.1", "libdisaggd_routing_.so"}) {
    bool warned = false;
    for (const auto& warning : catalog.warnings()) {
      if (warning.find((dir.path() / bad).string()) != std::string::npos) {
        warned = true;
        EXPECT_THAT(warning, HasSubstr("libdisaggd_<routing|migration|model>_<name>.so"));
      }
    }
    EXPECT_TRUE(warned) << "no warning for " << bad;
  }
}

TEST(PluginCatalogTest, ScansDirectoriesInOrderAndFilesSortedWithinEach) {
  TempDir dir;
  dir.touch("libdisaggd_routing_zeta.so", "first");
  dir.touch("libdisaggd_model_sim.so", "first");
  dir.touch("libdisaggd_routing_alpha.so", "first");
  dir.touch("libdisaggd_migration_tcp.so", "second");
  dir.touch("libdisaggd_routing_beta.so", "second");
  const PluginCatalog catalog = PluginCatalog::scan({dir.path() / "first", dir.path() / "second"});
  EXPECT_THAT(candidate_names(catalog), ElementsAre("model/sim", "routing/alpha", "routing/zeta",
                                                    "migration/tcp", "routing/beta"));
  EXPECT_THAT(catalog.names(PluginKind::kRouting), ElementsAre("alpha", "zeta", "beta"));
  EXPECT_THAT(catalog.names(PluginKind::kMigration), ElementsAre("tcp"));
  EXPECT_TRUE(catalog.warnings().empty());
}

TEST(PluginCatalogTest, MissingDirectoryIsSkippedSilentlyButListed) {
  TempDir dir;
  dir.touch("libdisaggd_routing_alpha.so", "present");
  const auto missing = dir.path() / "missing";
  const PluginCatalog catalog = PluginCatalog::scan({missing, dir.path() / "present"});
  EXPECT_THAT(catalog.dirs(), ElementsAre(missing, dir.path() / "present"));
  EXPECT_THAT(candidate_names(catalog), ElementsAre("routing/alpha"));
  EXPECT_TRUE(catalog.warnings().empty());
}

TEST(PluginCatalogTest, UnreadableDirectoryIsAWarning) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root reads every directory";
  }
  TempDir dir;
  const auto locked = dir.subdir("locked");
  dir.touch("libdisaggd_routing_hidden.so", "locked");
  std::filesystem::permissions(locked, std::filesystem::perms::none);
  const PluginCatalog catalog = PluginCatalog::scan({locked});
  std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  EXPECT_TRUE(catalog.candidates().empty());
  ASSERT_EQ(catalog.warnings().size(), 1u);
  EXPECT_THAT(catalog.warnings()[0], HasSubstr("cannot read plugin directory " + locked.string()));
}

TEST(PluginCatalogTest, DirectoryListedTwiceCountsOnce) {
  TempDir dir;
  const auto plugins = dir.subdir("plugins");
  dir.touch("libdisaggd_routing_alpha.so", "plugins");
  // The same directory, spelt three ways.
  const PluginCatalog catalog =
      PluginCatalog::scan({plugins, plugins, dir.path() / "plugins" / ".." / "plugins"});
  EXPECT_THAT(catalog.dirs(), ElementsAre(plugins));
  EXPECT_THAT(candidate_names(catalog), ElementsAre("routing/alpha"));
  auto found = catalog.find(PluginKind::kRouting, "alpha");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->file, plugins / "libdisaggd_routing_alpha.so");
}

TEST(PluginCatalogTest, SymlinkToTheSameFileCountsOnce) {
  TempDir dir;
  const auto real = dir.touch("libdisaggd_routing_alpha.so", "a");
  std::filesystem::create_symlink(real, dir.subdir("b") / "libdisaggd_routing_alpha.so");
  const PluginCatalog catalog = PluginCatalog::scan({dir.path() / "a", dir.path() / "b"});
  EXPECT_THAT(candidate_names(catalog), ElementsAre("routing/alpha"));
  auto found = catalog.find(PluginKind::kRouting, "alpha");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->file, real);  // The first directory wins.
}

TEST(PluginCatalogTest, SymlinkedDirectoryCountsOnce) {
  TempDir dir;
  const auto real = dir.subdir("real");
  dir.touch("libdisaggd_routing_alpha.so", "real");
  std::filesystem::create_directory_symlink(real, dir.path() / "link");
  const PluginCatalog catalog = PluginCatalog::scan({real, dir.path() / "link"});
  EXPECT_THAT(catalog.dirs(), ElementsAre(real));
  EXPECT_TRUE(catalog.find(PluginKind::kRouting, "alpha").ok());
}

TEST(PluginCatalogTest, SameNameInTwoDirectoriesIsAmbiguous) {
  TempDir dir;
  const auto a = dir.touch("libdisaggd_routing_dup.so", "a");
  const auto b = dir.touch("libdisaggd_routing_dup.so", "b");
  const PluginCatalog catalog = PluginCatalog::scan({dir.path() / "a", dir.path() / "b"});
  const Status status = catalog.find(PluginKind::kRouting, "dup").status();
  ASSERT_EQ(status.code(), StatusCode::kAlreadyExists) << status.message();
  EXPECT_THAT(status.message(),
              HasSubstr("routing plugin 'dup' is provided by more than one file: " + a.string() +
                        " and " + b.string()));
  EXPECT_THAT(status.message(), HasSubstr("DISAGGD_PLUGIN_PATH"));
  // Names are still listed once.
  EXPECT_THAT(catalog.names(PluginKind::kRouting), ElementsAre("dup"));
}

TEST(PluginCatalogTest, NotFoundListsDirectoriesAvailablePluginsAndASuggestion) {
  TempDir dir;
  dir.touch("libdisaggd_routing_random.so", "a");
  dir.touch("libdisaggd_routing_min_expected_latency.so", "b");
  dir.touch("libdisaggd_model_sim.so", "b");
  const auto missing = dir.path() / "missing";
  const PluginCatalog catalog = PluginCatalog::scan({dir.path() / "a", missing, dir.path() / "b"});

  const Status status = catalog.find(PluginKind::kRouting, "randon").status();
  ASSERT_EQ(status.code(), StatusCode::kNotFound) << status.message();
  EXPECT_THAT(status.message(), HasSubstr("routing plugin 'randon' not found"));
  EXPECT_THAT(status.message(),
              HasSubstr("no libdisaggd_routing_randon.so in " + (dir.path() / "a").string() + ", " +
                        missing.string() + ", " + (dir.path() / "b").string()));
  EXPECT_THAT(status.message(), HasSubstr("did you mean 'random'?"));
  EXPECT_THAT(status.message(),
              HasSubstr("(available routing plugins: random, min_expected_latency)"));
  // Plugins of other kinds are not offered.
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("sim")));
}

TEST(PluginCatalogTest, NotFoundWithoutACloseNameOrAnyPluginOfTheKind) {
  TempDir dir;
  dir.touch("libdisaggd_routing_random.so");
  const PluginCatalog catalog = PluginCatalog::scan({dir.path()});
  const Status far = catalog.find(PluginKind::kRouting, "round_robin_weighted").status();
  ASSERT_EQ(far.code(), StatusCode::kNotFound);
  EXPECT_THAT(far.message(), ::testing::Not(HasSubstr("did you mean")));
  EXPECT_THAT(far.message(), HasSubstr("(available routing plugins: random)"));

  // The routing plugin "random" is no migration plugin.
  const Status other_kind = catalog.find(PluginKind::kMigration, "random").status();
  ASSERT_EQ(other_kind.code(), StatusCode::kNotFound);
  EXPECT_THAT(other_kind.message(), HasSubstr("no libdisaggd_migration_random.so"));
  EXPECT_THAT(other_kind.message(), HasSubstr("(available migration plugins: none)"));
}

TEST(PluginCatalogTest, NoDirectoriesAtAll) {
  const PluginCatalog catalog = PluginCatalog::scan({});
  const Status status = catalog.find(PluginKind::kRouting, "random").status();
  ASSERT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("(no plugin directories)"));
}

}  // namespace
}  // namespace disaggd::core
