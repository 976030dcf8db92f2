// ConfigLoader: YAML files into typed config, and every kind of mistake reported precisely.
#include "core/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/temp_dir.h"

namespace disaggd::core {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class ConfigLoaderTest : public ::testing::Test {
 protected:
  LoadedConfig load(const std::string& yaml) { return load_config(dir_.write("c.yaml", yaml), {}); }

  /// The only error, failing the test when there is not exactly one.
  static ConfigIssue only_error(const LoadedConfig& loaded) {
    EXPECT_THAT(loaded.errors, SizeIs(1));
    return loaded.errors.empty() ? ConfigIssue{} : loaded.errors.front();
  }

  testing::TempDir dir_;
};

TEST_F(ConfigLoaderTest, FullProxyConfigLoadsEveryValue) {
  std::filesystem::create_directories(dir_.path() / "plugins");
  const LoadedConfig loaded = load(R"(
role: proxy
server: {name: 127.0.0.1, port: 9000, max_threads: 8, max_queued: 16, keep_alive_timeout_s: 5}
log: {level: debug}
plugins: {dirs: [plugins]}
proxy:
  routing_strategy: min_observed_latency
  routing_options: {window: 8, seed: 7, label: fast, ratio: 0.5, strict: true}
  serving_strategy: DistServe
  admin: {host: 0.0.0.0, port: 9001, token: abc}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  const Config& c = loaded.config;
  EXPECT_EQ(c.role, Role::kProxy);
  EXPECT_EQ(c.server.name, "127.0.0.1");
  EXPECT_EQ(c.server.port, 9000);
  EXPECT_EQ(c.server.max_threads, 8);
  EXPECT_EQ(c.server.max_queued, 16);
  EXPECT_EQ(c.server.keep_alive_timeout_s, 5);
  EXPECT_EQ(c.log.level, LogLevel::kDebug);
  ASSERT_THAT(c.plugins.dirs, SizeIs(1));
  EXPECT_EQ(c.plugins.dirs[0], dir_.path() / "plugins");  // relative to the file
  EXPECT_EQ(c.proxy.routing_strategy, "min_observed_latency");
  ASSERT_THAT(c.proxy.routing_options, SizeIs(5));
  EXPECT_EQ(c.proxy.routing_options[0].key, "window");
  EXPECT_EQ(c.proxy.routing_options[0].type, DISAGGD_OPTION_INT);
  EXPECT_EQ(c.proxy.routing_options[0].int_value, 8);
  EXPECT_EQ(c.proxy.routing_options[2].type, DISAGGD_OPTION_STRING);
  EXPECT_EQ(c.proxy.routing_options[2].string_value, "fast");
  EXPECT_EQ(c.proxy.routing_options[3].type, DISAGGD_OPTION_FLOAT);
  EXPECT_EQ(c.proxy.routing_options[4].type, DISAGGD_OPTION_BOOL);
  EXPECT_TRUE(c.proxy.routing_options[4].bool_value);
  EXPECT_EQ(c.proxy.serving_strategy, ServingStrategy::kDistServe);
  EXPECT_EQ(c.proxy.admin.host, "0.0.0.0");
  EXPECT_EQ(c.proxy.admin.port, 9001);
  EXPECT_EQ(c.proxy.admin.token.value, "abc");
  EXPECT_EQ(c.proxy.admin.token.origin, "config file");
  EXPECT_TRUE(loaded.warnings.empty());
}

TEST_F(ConfigLoaderTest, AbsentKeysKeepTheirDefaults) {
  const LoadedConfig loaded = load("role: proxy\n");
  ASSERT_TRUE(loaded.ok());
  const Config defaults;
  EXPECT_EQ(loaded.config.server.port, defaults.server.port);
  EXPECT_EQ(loaded.config.server.name, defaults.server.name);
  EXPECT_EQ(loaded.config.proxy.routing_strategy, "min_expected_latency");
  EXPECT_EQ(loaded.config.proxy.serving_strategy, ServingStrategy::kHybrid);
  EXPECT_TRUE(loaded.config.proxy.admin.token.empty());
}

TEST_F(ConfigLoaderTest, NodeConfigResolvesTheModelRelativeToTheFile) {
  std::filesystem::create_directories(dir_.path() / "models" / "tiny");
  const LoadedConfig loaded = load(R"(
role: Prefill
node:
  model: models/tiny
  proxy_url: http://127.0.0.1:8000
  backend: torch
  backend_options: {threads: 2}
  migration_backend: tcp
  migration_options: {connections: 4}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  EXPECT_EQ(loaded.config.role, Role::kPrefill);
  EXPECT_EQ(loaded.config.node.model, dir_.path() / "models" / "tiny");
  EXPECT_EQ(loaded.config.node.proxy_url, "http://127.0.0.1:8000");
  EXPECT_EQ(loaded.config.node.migration_options.at(0).int_value, 4);
}

TEST_F(ConfigLoaderTest, LmdeploySpellingsAreAcceptedInAnyCase) {
  const LoadedConfig loaded =
      load("role: PROXY\nlog: {level: WARNING}\nproxy: {serving_strategy: distserve}\n");
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  EXPECT_EQ(loaded.config.log.level, LogLevel::kWarn);
  EXPECT_EQ(loaded.config.proxy.serving_strategy, ServingStrategy::kDistServe);
}

TEST_F(ConfigLoaderTest, UnknownKeyNamesFileLineColumnAndClosestKey) {
  const ConfigIssue issue = only_error(load("role: proxy\nserver:\n  prot: 8000\n"));
  EXPECT_EQ(issue.source, (dir_.path() / "c.yaml").string());
  EXPECT_EQ(issue.line, 3);
  EXPECT_EQ(issue.column, 3);
  EXPECT_EQ(issue.key, "server.prot");
  EXPECT_THAT(issue.message, HasSubstr("unknown key (did you mean 'port'?)"));
  EXPECT_THAT(issue.message, HasSubstr("valid keys under server: name, port"));
  EXPECT_THAT(issue.to_string(), HasSubstr("c.yaml:3:3: server.prot: unknown key"));
}

TEST_F(ConfigLoaderTest, UnknownTopLevelKeyWithoutCloseMatchListsValidKeys) {
  const ConfigIssue issue = only_error(load("role: proxy\nzzzzzz: 1\n"));
  EXPECT_EQ(issue.key, "zzzzzz");
  EXPECT_THAT(issue.message, Not(HasSubstr("did you mean")));
  EXPECT_THAT(issue.message, HasSubstr("valid keys: role, server, log, plugins, proxy, node"));
}

TEST_F(ConfigLoaderTest, WrongTypesSayWhatWasExpectedAndFound) {
  const LoadedConfig loaded = load(R"(
role: proxy
server:
  port: eighty
  name: [a, b]
  max_threads: 0
proxy:
  routing_options: [1, 2]
  serving_strategy: {a: 1}
)");
  ASSERT_THAT(loaded.errors, SizeIs(5));
  EXPECT_EQ(loaded.errors[0].key, "server.port");
  EXPECT_EQ(loaded.errors[0].line, 4);
  EXPECT_THAT(loaded.errors[0].message,
              HasSubstr("expected an integer from 0 to 65535, got 'eighty'"));
  EXPECT_EQ(loaded.errors[1].key, "server.name");
  EXPECT_THAT(loaded.errors[1].message, HasSubstr("expected a string, got a list"));
  EXPECT_EQ(loaded.errors[2].key, "server.max_threads");
  EXPECT_THAT(loaded.errors[2].message, HasSubstr("from 1 to 4096, got '0'"));
  EXPECT_EQ(loaded.errors[3].key, "proxy.routing_options");
  EXPECT_THAT(loaded.errors[3].message, HasSubstr("expected a map of options"));
  EXPECT_EQ(loaded.errors[4].key, "proxy.serving_strategy");
  EXPECT_THAT(loaded.errors[4].message, HasSubstr("expected one of Hybrid, DistServe, got a map"));
}

TEST_F(ConfigLoaderTest, OutOfRangePortIsRejected) {
  const ConfigIssue issue = only_error(load("role: proxy\nserver: {port: 65536}\n"));
  EXPECT_THAT(issue.message, HasSubstr("got '65536'"));
}

TEST_F(ConfigLoaderTest, BadEnumValueSuggestsTheClosestValue) {
  const ConfigIssue issue = only_error(load("role: proxi\n"));
  EXPECT_EQ(issue.key, "role");
  EXPECT_THAT(issue.message, AllOf(HasSubstr("expected one of proxy, prefill, decode, hybrid"),
                                   HasSubstr("got 'proxi'"), HasSubstr("did you mean 'proxy'")));
}

TEST_F(ConfigLoaderTest, MissingRoleIsReportedOnce) {
  const ConfigIssue issue = only_error(load("server: {port: 8000}\n"));
  EXPECT_EQ(issue.key, "role");
  EXPECT_THAT(issue.message, HasSubstr("missing required key"));
}

TEST_F(ConfigLoaderTest, NodeRolesRequireAModel) {
  for (const char* role : {"prefill", "decode", "hybrid"}) {
    const ConfigIssue issue = only_error(load(std::string("role: ") + role + "\n"));
    EXPECT_EQ(issue.key, "node.model");
    EXPECT_THAT(issue.message, HasSubstr(std::string("required for role ") + role));
  }
  EXPECT_TRUE(load("role: proxy\n").ok());
}

TEST_F(ConfigLoaderTest, MissingPathsAndDirectoriesAreErrors) {
  const LoadedConfig loaded =
      load("role: hybrid\nnode: {model: no/such/model}\nplugins: {dirs: [nowhere]}\n");
  ASSERT_THAT(loaded.errors, SizeIs(2));
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("no/such/model does not exist"));
  EXPECT_THAT(loaded.errors[1].message, HasSubstr("nowhere does not exist"));
}

TEST_F(ConfigLoaderTest, PluginNamesAndUrlsAreValidated) {
  const LoadedConfig loaded = load(R"(
role: proxy
proxy: {routing_strategy: "Bad-Name"}
node: {proxy_url: "ftp://x"}
)");
  ASSERT_THAT(loaded.errors, SizeIs(2));
  EXPECT_THAT(loaded.errors[0].message, HasSubstr("expected a plugin name"));
  EXPECT_THAT(loaded.errors[1].message, HasSubstr("expected a URL such as http://host:port"));
}

TEST_F(ConfigLoaderTest, DuplicateKeyIsAnError) {
  const ConfigIssue issue = only_error(load("role: proxy\nserver: {port: 1, port: 2}\n"));
  EXPECT_EQ(issue.key, "server.port");
  EXPECT_THAT(issue.message, HasSubstr("duplicate key"));
}

TEST_F(ConfigLoaderTest, SectionThatIsNotAMapIsAnError) {
  const ConfigIssue issue = only_error(load("role: proxy\nserver: 8000\n"));
  EXPECT_EQ(issue.key, "server");
  EXPECT_THAT(issue.message, HasSubstr("expected a map of settings (name, port"));
}

TEST_F(ConfigLoaderTest, NestedOptionsAreFlattenedAndNonScalarsRejected) {
  LoadedConfig loaded = load("role: proxy\nproxy: {routing_options: {a: {b: 1, c: x}}}\n");
  ASSERT_TRUE(loaded.ok());
  ASSERT_THAT(loaded.config.proxy.routing_options, SizeIs(2));
  EXPECT_EQ(loaded.config.proxy.routing_options[0].key, "a.b");
  EXPECT_EQ(loaded.config.proxy.routing_options[1].key, "a.c");

  const ConfigIssue issue = only_error(load("role: proxy\nproxy: {routing_options: {a: [1]}}\n"));
  EXPECT_THAT(issue.message, HasSubstr("option 'a' must be a single value"));
}

TEST_F(ConfigLoaderTest, QuotedOptionValuesStayStrings) {
  const LoadedConfig loaded = load("role: proxy\nproxy: {routing_options: {n: \"16\"}}\n");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.config.proxy.routing_options.at(0).type, DISAGGD_OPTION_STRING);
  EXPECT_EQ(loaded.config.proxy.routing_options.at(0).string_value, "16");
}

TEST_F(ConfigLoaderTest, InvalidYamlNamesTheLineAndStopsThere) {
  const ConfigIssue issue = only_error(load("role: proxy\nserver: [1, 2\n"));
  EXPECT_EQ(issue.line, 3);
  EXPECT_THAT(issue.message, HasSubstr("invalid YAML"));
}

TEST_F(ConfigLoaderTest, MissingFileIsOneClearError) {
  const LoadedConfig loaded = load_config(dir_.path() / "absent.yaml", {});
  ASSERT_THAT(loaded.errors, SizeIs(1));
  EXPECT_THAT(loaded.errors[0].to_string(), HasSubstr("absent.yaml: config file does not exist"));
}

TEST_F(ConfigLoaderTest, TopLevelMustBeAMap) {
  const ConfigIssue issue = only_error(load("- role\n"));
  EXPECT_THAT(issue.message, HasSubstr("expected a map of settings at the top level"));
}

TEST_F(ConfigLoaderTest, EveryProblemIsReportedInFileOrder) {
  const LoadedConfig loaded = load("role: proxy\nlog: {levle: x}\nserver: {port: x}\nfoo: 1\n");
  ASSERT_THAT(loaded.errors, SizeIs(3));
  EXPECT_EQ(loaded.errors[0].line, 2);
  EXPECT_EQ(loaded.errors[1].line, 3);
  EXPECT_EQ(loaded.errors[2].line, 4);
}

TEST_F(ConfigLoaderTest, SecretFromEnvironment) {
  ::setenv("DISAGGD_TEST_TOKEN", "from-env", 1);
  const LoadedConfig loaded =
      load("role: proxy\nproxy: {admin: {token: {env: DISAGGD_TEST_TOKEN}}}\n");
  ::unsetenv("DISAGGD_TEST_TOKEN");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.config.proxy.admin.token.value, "from-env");
  EXPECT_EQ(loaded.config.proxy.admin.token.origin, "environment variable DISAGGD_TEST_TOKEN");
}

TEST_F(ConfigLoaderTest, SecretFromUnsetEnvironmentVariableIsAnError) {
  ::unsetenv("DISAGGD_TEST_UNSET");
  const ConfigIssue issue =
      only_error(load("role: proxy\nproxy: {admin: {token: {env: DISAGGD_TEST_UNSET}}}\n"));
  EXPECT_EQ(issue.key, "proxy.admin.token");
  EXPECT_THAT(issue.message, HasSubstr("environment variable DISAGGD_TEST_UNSET is not set"));
}

TEST_F(ConfigLoaderTest, SecretFromFileDropsTheFinalNewline) {
  dir_.write("token.txt", "from-file\n");
  const LoadedConfig loaded = load("role: proxy\nproxy: {admin: {token: {file: token.txt}}}\n");
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().to_string();
  EXPECT_EQ(loaded.config.proxy.admin.token.value, "from-file");
}

TEST_F(ConfigLoaderTest, SecretWithUnknownSourceIsAnError) {
  const ConfigIssue issue = only_error(load("role: proxy\nproxy: {admin: {token: {vault: x}}}\n"));
  EXPECT_THAT(issue.message, HasSubstr("{env: VARIABLE} or {file: PATH}"));
}

TEST_F(ConfigLoaderTest, KeysOfAnotherRoleAreWarnedAboutNotRejected) {
  const LoadedConfig loaded = load("role: proxy\nnode: {backend: torch}\n");
  ASSERT_TRUE(loaded.ok());
  ASSERT_THAT(loaded.warnings, SizeIs(1));
  EXPECT_EQ(loaded.warnings[0].key, "node.backend");
  EXPECT_THAT(loaded.warnings[0].message, HasSubstr("ignored by role proxy"));
}

}  // namespace
}  // namespace disaggd::core
