// The generated configuration reference covers every key, and docs/configuration.md is current.
#include "core/config/config_reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/config/config_schema.h"

namespace disaggd::core {
namespace {

using ::testing::HasSubstr;

TEST(ConfigReferenceTest, EveryKeyAndFlagIsDocumented) {
  const std::string reference = config_reference_markdown();
  for (const FieldSpec& field : config_fields()) {
    EXPECT_THAT(reference, HasSubstr("| `" + field.path + "` |"));
    EXPECT_THAT(reference, HasSubstr("`--" + field.flag() + "`"));
    for (const std::string& alias : field.aliases) {
      EXPECT_THAT(reference, HasSubstr("`--" + alias + "`"));
    }
  }
  EXPECT_THAT(reference, HasSubstr("| `server.port` | integer 0..65535 | `8000` |"));
  EXPECT_THAT(reference,
              HasSubstr("| `role` | one of: proxy, prefill, decode, hybrid | (required)"));
}

TEST(ConfigReferenceTest, CommittedDocumentMatchesTheSchema) {
  std::ifstream in(std::string(DISAGGD_TEST_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(committed.str(), config_reference_markdown())
      << "docs/configuration.md is out of date: run tools/gen-config-docs.sh";
}

}  // namespace
}  // namespace disaggd::core
