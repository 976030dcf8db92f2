// --print-config output: loads back to the same config, and never shows a secret.
#include "core/config/config_printer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config_loader.h"
#include "support/temp_dir.h"

namespace disaggd::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConfigPrinterTest, PrintedConfigLoadsBackToTheSameValues) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "p");
  const LoadedConfig original =
      load_config(dir.write("a.yaml",
                            "role: decode\nserver: {name: \"::1\", port: 7000}\n"
                            "log: {level: error}\nplugins: {dirs: [p]}\n"
                            "node: {model: p, migration_options: {n: 2, s: \"x y\"}}\n"),
                  {});
  ASSERT_TRUE(original.ok()) << original.errors.front().to_string();

  const LoadedConfig reloaded =
      load_config(dir.write("b.yaml", config_to_yaml(original.config)), {});
  ASSERT_TRUE(reloaded.ok()) << reloaded.errors.front().to_string();
  const Config& a = original.config;
  const Config& b = reloaded.config;
  EXPECT_EQ(b.role, a.role);
  EXPECT_EQ(b.server.name, a.server.name);
  EXPECT_EQ(b.server.port, a.server.port);
  EXPECT_EQ(b.log.level, a.log.level);
  EXPECT_EQ(b.plugins.dirs, a.plugins.dirs);
  EXPECT_EQ(b.node.model, a.node.model);
  EXPECT_EQ(b.node.migration_options, a.node.migration_options);
  EXPECT_EQ(b.proxy.routing_strategy, a.proxy.routing_strategy);
}

TEST(ConfigPrinterTest, SecretsAreMasked) {
  Config config;
  config.proxy.admin.token = Secret{"very-secret-value", "config file"};
  const std::string yaml = config_to_yaml(config);
  EXPECT_THAT(yaml, Not(HasSubstr("very-secret-value")));
  EXPECT_THAT(yaml, HasSubstr("token: null  # (set, from config file)"));
}

}  // namespace
}  // namespace disaggd::core
