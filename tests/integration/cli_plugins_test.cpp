// Bad plugins seen through the real disaggd binary: `disaggd plugins` names every broken file and
// why, and neither --check nor a start accepts a strategy that fails; the daemon never crashes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/support/disaggd_binary.h"

namespace disaggd::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kExitConfig = 78;

std::string fixture_dir() {
  return std::string(DISAGGD_TEST_FIXTURE_DIR) + "/plugins";
}

TEST(CliPluginsTest, ListingNamesEveryBrokenFileWithItsReasonAndFails) {
  const CommandResult result = run_disaggd({"plugins", "--plugin-dir", fixture_dir()});
  EXPECT_EQ(result.exit_code, kExitConfig);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"not_elf", "cannot be loaded as a shared object"},
      {"no_entry", "entry symbol disaggd_plugin_entry not found"},
      {"entry_null", "disaggd_plugin_entry returned NULL"},
      {"other_abi_major", "built for plugin ABI 2.0, but this disaggd speaks ABI 1.0"},
      {"newer_abi_minor", "built for plugin ABI 1.1, newer than this disaggd's ABI 1.0"},
      {"wrong_kind", "declares kind 'migration' but its file name says 'routing'"},
      {"name_mismatch", "declares name 'some_other_name' but its file name says 'name_mismatch'"},
      {"null_member", "vtable member on_nodes_changed_fn is NULL"},
  };
  for (const auto& [name, reason] : expected) {
    const std::string file = fixture_dir() + "/libdisaggd_routing_" + name + ".so";
    EXPECT_THAT(result.out, HasSubstr(file + "\n  error: ")) << name;
    EXPECT_THAT(result.out, HasSubstr(reason)) << name;
  }
  // Good plugins in the same directories are still listed with their versions.
  EXPECT_THAT(result.out, HasSubstr("minimal_c             0.1.0    1.0"));
  EXPECT_THAT(result.out, HasSubstr("random                0.1.0    1.0"));
}

TEST(CliPluginsTest, CheckRefusesAStrategyWhoseCreateFails) {
  const CommandResult result = run_disaggd({"--check", "--role", "proxy", "--plugin-dir",
                                            fixture_dir(), "--routing-strategy", "create_fails"});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, AllOf(HasSubstr("routing plugin 'create_fails'"),
                                HasSubstr("create: create_fails fixture refuses every")));
}

TEST(CliPluginsTest, CheckRefusesStrategiesThatThrowOnTheRequestPath) {
  const CommandResult raw = run_disaggd({"--check", "--role", "proxy", "--plugin-dir",
                                         fixture_dir(), "--routing-strategy", "raw_throw"});
  EXPECT_EQ(raw.exit_code, kExitConfig);
  EXPECT_THAT(raw.err, AllOf(HasSubstr("dry-run select failed"),
                             HasSubstr("plugin threw a C++ exception across the ABI")));
  const CommandResult sdk = run_disaggd({"--check", "--role", "proxy", "--plugin-dir",
                                         fixture_dir(), "--routing-strategy", "sdk_throw"});
  EXPECT_EQ(sdk.exit_code, kExitConfig);
  EXPECT_THAT(sdk.err, HasSubstr("unhandled exception: sdk_throw fixture: select exploded"));
}

TEST(CliPluginsTest, CheckAcceptsAPluginWrittenInPlainC) {
  const CommandResult result = run_disaggd({"--check", "--role", "proxy", "--plugin-dir",
                                            fixture_dir(), "--routing-strategy", "minimal_c"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("routing strategy minimal_c 0.1.0"));
}

TEST(CliPluginsTest, DaemonRefusesToStartWithABrokenStrategyAndSaysWhy) {
  const CommandResult result =
      run_disaggd({"-c", source_path("configs/proxy.yaml"), "--server-port", "0", "--plugin-dir",
                   fixture_dir(), "--routing-strategy", "other_abi_major"});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, HasSubstr("built for plugin ABI 2.0"));
  EXPECT_THAT(result.err, Not(HasSubstr("proxy ready")));
}

}  // namespace
}  // namespace disaggd::testing
