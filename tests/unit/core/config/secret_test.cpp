// Constant-time secret comparison.
#include "core/config/secret.h"

#include <gtest/gtest.h>

namespace disaggd::core {
namespace {

TEST(SecretTest, EqualsOnlyTheSameBytes) {
  EXPECT_TRUE(secret_equals("token", "token"));
  EXPECT_FALSE(secret_equals("token", "tokeN"));
  EXPECT_FALSE(secret_equals("token", "toke"));
  EXPECT_FALSE(secret_equals("token", "token2"));
  EXPECT_FALSE(secret_equals("token", ""));
  EXPECT_FALSE(secret_equals("a", std::string("a\0", 2)));
}

}  // namespace
}  // namespace disaggd::core
