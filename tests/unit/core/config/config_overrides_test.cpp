// Command-line overrides: every key's own flag, --set with YAML values, and their errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config_loader.h"
#include "core/config/config_schema.h"
#include "support/temp_dir.h"

namespace disaggd::core {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

ConfigOverride flag(const std::string& path, const std::string& text) {
  return ConfigOverride{path, "--" + path, text, false};
}

ConfigOverride set(const std::string& path, const std::string& text) {
  return ConfigOverride{path, "--set " + path, text, true};
}

TEST(ConfigOverridesTest, FlagsWinOverTheFile) {
  testing::TempDir dir;
  const auto file = dir.write("c.yaml", "role: proxy\nserver: {port: 8000, name: a}\n");
  const LoadedConfig loaded =
      load_config(file, {flag("server.port", "9001"), flag("proxy.routing_strategy", "random")});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.config.server.port, 9001);
  EXPECT_EQ(loaded.config.server.name, "a");
  EXPECT_EQ(loaded.config.proxy.routing_strategy, "random");
}

TEST(ConfigOverridesTest, WithoutAFileOverridesAloneMakeAConfig) {
  const LoadedConfig loaded = load_config("", {flag("role", "Hybrid"), flag("node.model", "/")});
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  EXPECT_EQ(loaded.config.role, Role::kHybrid);
}

TEST(ConfigOverridesTest, ScalarFlagValuesAreLiteral) {
  // A literal value is never parsed as YAML: "[x]" is a (bad) plugin name, not a list.
  const LoadedConfig loaded =
      load_config("", {flag("role", "proxy"), flag("proxy.routing_strategy", "[x]")});
  ASSERT_THAT(loaded.errors, SizeIs(1));
  EXPECT_EQ(loaded.errors[0].source, "command line");
  EXPECT_EQ(loaded.errors[0].key, "--proxy.routing_strategy");
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("got '[x]'"));
}

TEST(ConfigOverridesTest, RepeatedListFlagsAccumulateAndSplitOnCommas) {
  testing::TempDir dir;
  for (const char* name : {"a", "b", "c"}) {
    std::filesystem::create_directories(dir.path() / name);
  }
  const std::string base = dir.path().string() + "/";
  const LoadedConfig loaded =
      load_config("", {flag("role", "proxy"), flag("plugins.dirs", base + "a," + base + "b"),
                       flag("plugins.dirs", base + "c")});
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  ASSERT_THAT(loaded.config.plugins.dirs, SizeIs(3));
  EXPECT_EQ(loaded.config.plugins.dirs[2], dir.path() / "c");
}

TEST(ConfigOverridesTest, CommandLineListReplacesTheFileList) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "from_file");
  std::filesystem::create_directories(dir.path() / "from_flag");
  const auto file = dir.write("c.yaml", "role: proxy\nplugins: {dirs: [from_file]}\n");
  const LoadedConfig loaded =
      load_config(file, {flag("plugins.dirs", (dir.path() / "from_flag").string())});
  ASSERT_TRUE(loaded.ok());
  ASSERT_THAT(loaded.config.plugins.dirs, SizeIs(1));
  EXPECT_EQ(loaded.config.plugins.dirs[0], dir.path() / "from_flag");
}

TEST(ConfigOverridesTest, OptionMapFlagsTakeNameEqualsValueAndTypeTheValue) {
  const LoadedConfig loaded =
      load_config("", {flag("role", "proxy"), flag("proxy.routing_options", "window=8"),
                       flag("proxy.routing_options", "label=a=b")});
  ASSERT_TRUE(loaded.ok());
  const PluginOptions& options = loaded.config.proxy.routing_options;
  ASSERT_THAT(options, SizeIs(2));
  EXPECT_EQ(options[0].type, DISAGGD_OPTION_INT);
  EXPECT_EQ(options[0].int_value, 8);
  EXPECT_EQ(options[1].key, "label");
  EXPECT_EQ(options[1].string_value, "a=b");
}

TEST(ConfigOverridesTest, OptionMapFlagWithoutEqualsIsAnError) {
  const LoadedConfig loaded =
      load_config("", {flag("role", "proxy"), flag("proxy.routing_options", "window")});
  ASSERT_THAT(loaded.errors, SizeIs(1));
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("expected name=value, got 'window'"));
}

TEST(ConfigOverridesTest, SetParsesYamlSoSecretsCanComeFromTheEnvironment) {
  ::setenv("DISAGGD_TEST_SET_TOKEN", "t0k3n", 1);
  const LoadedConfig loaded = load_config(
      "", {set("role", "proxy"), set("proxy.admin.token", "{env: DISAGGD_TEST_SET_TOKEN}"),
           set("proxy.routing_options", "{seed: 5}")});
  ::unsetenv("DISAGGD_TEST_SET_TOKEN");
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  EXPECT_EQ(loaded.config.proxy.admin.token.value, "t0k3n");
  EXPECT_EQ(loaded.config.proxy.routing_options.at(0).int_value, 5);
}

TEST(ConfigOverridesTest, SetWithUnknownKeySuggestsTheClosestKey) {
  const LoadedConfig loaded = load_config("", {set("role", "proxy"), set("server.prot", "1")});
  ASSERT_THAT(loaded.errors, SizeIs(1));
  EXPECT_EQ(loaded.errors[0].source, "command line");
  EXPECT_THAT(loaded.errors[0].message,
              HasSubstr("unknown key 'server.prot' (did you mean 'server.port'?)"));
}

TEST(ConfigOverridesTest, SetWithInvalidYamlIsAnError) {
  const LoadedConfig loaded = load_config("", {set("role", "proxy"), set("server.port", "[1")});
  ASSERT_THAT(loaded.errors, SizeIs(1));
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("invalid YAML value '[1'"));
}

TEST(ConfigOverridesTest, CommandLinePathsAreRelativeToTheWorkingDirectory) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "sub" / "model");
  const auto file = dir.write("sub/c.yaml", "role: hybrid\nnode: {model: model}\n");
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const LoadedConfig from_file = load_config(file, {});
  const LoadedConfig from_flag = load_config(file, {flag("node.model", "sub/model")});
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(from_file.ok()) << from_file.errors.front().to_string();
  ASSERT_TRUE(from_flag.ok()) << from_flag.errors.front().to_string();
  EXPECT_EQ(from_file.config.node.model, dir.path() / "sub" / "model");
  EXPECT_EQ(from_flag.config.node.model, dir.path() / "sub" / "model");
}

TEST(ConfigOverridesTest, EveryFieldHasAUniqueFlagAndTheLmdeploySpellingsExist) {
  std::set<std::string> flags;
  for (const FieldSpec& field : config_fields()) {
    EXPECT_TRUE(flags.insert(field.flag()).second) << field.flag();
    for (const std::string& alias : field.aliases) {
      EXPECT_TRUE(flags.insert(alias).second) << alias;
    }
  }
  const std::map<std::string, std::string> lmdeploy = {
      {"server-name", "server.name"},
      {"server-port", "server.port"},
      {"routing-strategy", "proxy.routing_strategy"},
      {"serving-strategy", "proxy.serving_strategy"},
      {"role", "role"},
      {"proxy-url", "node.proxy_url"},
      {"backend", "node.backend"},
      {"migration-backend", "node.migration_backend"},
      {"log-level", "log.level"}};
  for (const auto& [spelling, path] : lmdeploy) {
    const FieldSpec* field = find_field_by_flag(spelling);
    ASSERT_NE(field, nullptr) << spelling;
    EXPECT_EQ(field->path, path) << spelling;
  }
}

}  // namespace
}  // namespace disaggd::core
