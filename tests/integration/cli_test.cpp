// The disaggd command line, run as a real process: version, help, plugins, --check and every
// kind of bad input, each with its exit status and message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "integration/support/disaggd_binary.h"
#include "support/temp_dir.h"

namespace disaggd::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;

TEST(CliTest, VersionNamesVersionAbiAndBuildType) {
  const CommandResult result = run_disaggd({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out,
              MatchesRegex("disaggd [0-9]+\\.[0-9]+\\.[0-9]+ \\(plugin ABI 1\\.0, build type "
                           "[A-Za-z]+\\)\n"));
}

TEST(CliTest, HelpListsTheLmdeploySpellings) {
  const CommandResult result = run_disaggd({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag :
       {"--server-name", "--server-port", "--routing-strategy", "--serving-strategy", "--role",
        "--proxy-url", "--backend", "--migration-backend", "--log-level", "--config", "--check"}) {
    EXPECT_THAT(result.out, HasSubstr(flag)) << flag;
  }
}

TEST(CliTest, PluginsListsTheRoutingStrategiesBuiltWithTheDaemon) {
  const CommandResult result = run_disaggd({"plugins"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("/lib/disaggd/plugins"));
  for (const char* name : {"random", "min_expected_latency", "min_observed_latency"}) {
    EXPECT_THAT(result.out,
                ContainsRegex(std::string("routing +") + name +
                              " +[0-9.]+ +1\\.0 +/.*libdisaggd_routing_" + name + "\\.so"));
  }
}

TEST(CliTest, CheckAcceptsTheShippedProxyConfig) {
  const CommandResult result = run_disaggd({"--check", "-c", source_path("configs/proxy.yaml")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, AllOf(HasSubstr("proxy.yaml: OK (role proxy"),
                                HasSubstr("routing strategy min_expected_latency")));
}

TEST(CliTest, CheckReportsEveryConfigProblemWithFileLineAndKey) {
  TempDir dir;
  const auto file = dir.write("bad.yaml",
                              "role: proxy\n"
                              "server:\n"
                              "  prot: 8000\n"
                              "  max_threads: lots\n"
                              "proxy: {serving_strategy: Distserv}\n");
  const CommandResult result = run_disaggd({"--check", "-c", file.string()});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, HasSubstr("bad.yaml:3:3: server.prot: unknown key (did you mean "
                                    "'port'?)"));
  EXPECT_THAT(result.err, HasSubstr("bad.yaml:4:3: server.max_threads: expected an integer"));
  EXPECT_THAT(result.err, HasSubstr("bad.yaml:5:9: proxy.serving_strategy: expected one of "
                                    "Hybrid, DistServe, got 'Distserv' (did you mean "
                                    "'DistServe'?)"));
  EXPECT_THAT(result.err, HasSubstr("3 problem(s) found"));
}

TEST(CliTest, BadConfigStopsTheDaemonFromStarting) {
  TempDir dir;
  const auto file = dir.write("bad.yaml", "role: proxy\nserver: {port: -1}\n");
  const CommandResult result = run_disaggd({"-c", file.string()});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, HasSubstr("server.port: expected an integer from 0 to 65535, got '-1'"));
}

TEST(CliTest, CheckReportsAnUnknownRoutingPluginWithTheClosestName) {
  const CommandResult result = run_disaggd(
      {"--check", "-c", source_path("configs/proxy.yaml"), "--routing-strategy", "randon"});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err,
              AllOf(HasSubstr("proxy.routing_strategy: routing plugin 'randon' not found"),
                    HasSubstr("did you mean 'random'?"), HasSubstr("available routing plugins: ")));
}

TEST(CliTest, CheckCreatesTheRoutingStrategySoBadOptionsAreCaught) {
  const CommandResult result =
      run_disaggd({"--check", "-c", source_path("configs/proxy.yaml"), "--routing-strategy",
                   "min_observed_latency", "--routing-option", "windw=4"});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, AllOf(HasSubstr("proxy.routing_options: routing plugin "
                                          "'min_observed_latency'"),
                                HasSubstr("unknown option 'windw' (did you mean 'window'?)")));
}

TEST(CliTest, CheckOfANodeRoleLoadsItsModelBackendPlugin) {
  TempDir dir;
  const CommandResult result = run_disaggd(
      {"--check", "--role", "Hybrid", "--model", dir.path().string(), "--backend", "nosuch"});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, HasSubstr("node.backend: model plugin 'nosuch' not found: no "
                                    "libdisaggd_model_nosuch.so in "));
}

TEST(CliTest, PluginFoundInTwoDirectoriesIsRejectedByName) {
  TempDir dir;
  const std::string builtin =
      std::string(DISAGGD_TEST_PLUGIN_DIR) + "/libdisaggd_routing_random.so";
  std::filesystem::copy_file(builtin, dir.path() / "libdisaggd_routing_random.so");
  const CommandResult result =
      run_disaggd({"--check", "--role", "proxy", "--routing-strategy", "random"},
                  {{"DISAGGD_PLUGIN_PATH", dir.path().string()}});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, AllOf(HasSubstr("routing plugin 'random' is provided by more than one "
                                          "file"),
                                HasSubstr(dir.path().string())));
}

TEST(CliTest, LmdeployFlagsSetTheirConfigKeys) {
  TempDir dir;
  const CommandResult result = run_disaggd({"--print-config",
                                            "--role",
                                            "Decode",
                                            "--server-name",
                                            "127.0.0.1",
                                            "--server-port",
                                            "23333",
                                            "--routing-strategy",
                                            "random",
                                            "--serving-strategy",
                                            "DistServe",
                                            "--proxy-url",
                                            "http://127.0.0.1:8000",
                                            "--backend",
                                            "sim",
                                            "--migration-backend",
                                            "mooncake_rdma",
                                            "--log-level",
                                            "WARNING",
                                            "--model",
                                            dir.path().string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(
      result.out,
      AllOf(HasSubstr("role: decode\n"), HasSubstr("  name: \"127.0.0.1\"\n"),
            HasSubstr("  port: 23333\n"), HasSubstr("  level: warn\n"),
            HasSubstr("  routing_strategy: random\n"), HasSubstr("  serving_strategy: DistServe\n"),
            HasSubstr("  proxy_url: \"http://127.0.0.1:8000\"\n"), HasSubstr("  backend: sim\n"),
            HasSubstr("  migration_backend: mooncake_rdma\n")));
  // Proxy keys given to a decode node are accepted but called out.
  EXPECT_THAT(result.err, HasSubstr("--routing-strategy: ignored by role decode"));
}

TEST(CliTest, EveryConfigKeyHasAFlag) {
  const CommandResult result =
      run_disaggd({"--print-config", "--role", "proxy", "--server-max-threads", "7",
                   "--proxy-admin-host", "::1", "--set", "server.keep_alive_timeout_s=9"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, AllOf(HasSubstr("  max_threads: 7\n"), HasSubstr("    host: \"::1\"\n"),
                                HasSubstr("  keep_alive_timeout_s: 9\n")));
}

TEST(CliTest, UnknownOptionIsAUsageError) {
  const CommandResult result = run_disaggd({"--server-prot", "1"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, AllOf(HasSubstr("disaggd: error: Unknown option"),
                                HasSubstr("server-prot"), HasSubstr("disaggd --help")));
}

TEST(CliTest, MissingOptionValueIsAUsageError) {
  const CommandResult result = run_disaggd({"--server-port"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("server-port requires value"));
}

TEST(CliTest, UnexpectedArgumentIsAUsageError) {
  const CommandResult result = run_disaggd({"serve"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("unexpected argument 'serve'; commands are plugins and "
                                    "config-reference"));
}

TEST(CliTest, MalformedSetIsAUsageError) {
  const CommandResult result = run_disaggd({"--set", "server.port", "--role", "proxy"});
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("--set expects key.path=value"));
}

TEST(CliTest, StartingWithoutAConfigSaysHow) {
  const CommandResult result = run_disaggd({});
  EXPECT_EQ(result.exit_code, kExitConfig);
  EXPECT_THAT(result.err, HasSubstr("no config given: start with -c FILE"));
  EXPECT_THAT(result.out, Not(HasSubstr("listener")));
}

}  // namespace
}  // namespace disaggd::testing
