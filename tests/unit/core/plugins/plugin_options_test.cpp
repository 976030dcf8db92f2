// PluginOption::from_scalar (YAML-like typing of scalars) and AbiOptions (the ABI view of them).
#include "core/plugins/plugin_options.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace disaggd::core {
namespace {

std::string view(disaggd_string_view v) {
  return std::string(v.data, v.size);
}

TEST(PluginOptionsTest, QuotedScalarIsAlwaysAString) {
  for (const char* text : {"16", "true", "1.5", ""}) {
    const PluginOption option = PluginOption::from_scalar("k", text, true);
    EXPECT_EQ(option.type, DISAGGD_OPTION_STRING) << text;
    EXPECT_EQ(option.string_value, text);
    EXPECT_EQ(option.text, text);
  }
}

TEST(PluginOptionsTest, Integers) {
  const PluginOption sixteen = PluginOption::from_scalar("window", "16", false);
  EXPECT_EQ(sixteen.key, "window");
  EXPECT_EQ(sixteen.type, DISAGGD_OPTION_INT);
  EXPECT_EQ(sixteen.int_value, 16);
  EXPECT_EQ(sixteen.float_value, 16.0);  // INT carries the same number as a double.
  EXPECT_TRUE(sixteen.string_value.empty());
  EXPECT_EQ(sixteen.text, "16");

  EXPECT_EQ(PluginOption::from_scalar("k", "-42", false).int_value, -42);
  EXPECT_EQ(PluginOption::from_scalar("k", "-9223372036854775808", false).int_value, INT64_MIN);
  // YAML 1.2 core schema integers: an explicit +, hexadecimal and octal.
  const PluginOption plus = PluginOption::from_scalar("k", "+5", false);
  EXPECT_EQ(plus.type, DISAGGD_OPTION_INT);
  EXPECT_EQ(plus.int_value, 5);
  const PluginOption hex = PluginOption::from_scalar("k", "0x1F", false);
  EXPECT_EQ(hex.type, DISAGGD_OPTION_INT);
  EXPECT_EQ(hex.int_value, 31);
  const PluginOption octal = PluginOption::from_scalar("k", "0o17", false);
  EXPECT_EQ(octal.type, DISAGGD_OPTION_INT);
  EXPECT_EQ(octal.int_value, 15);
  for (const char* text : {"+-5", "0x-5", "0x", "0o8", "--1", "1 2"}) {
    EXPECT_EQ(PluginOption::from_scalar("k", text, false).type, DISAGGD_OPTION_STRING) << text;
  }
}

TEST(PluginOptionsTest, IntegerBeyondInt64IsANumber) {
  const PluginOption big = PluginOption::from_scalar("k", "9223372036854775808", false);
  EXPECT_EQ(big.type, DISAGGD_OPTION_FLOAT);
  EXPECT_DOUBLE_EQ(big.float_value, 9223372036854775808.0);
}

TEST(PluginOptionsTest, Floats) {
  const PluginOption option = PluginOption::from_scalar("alpha", "1.5", false);
  EXPECT_EQ(option.type, DISAGGD_OPTION_FLOAT);
  EXPECT_EQ(option.float_value, 1.5);
  EXPECT_EQ(option.int_value, 0);
  EXPECT_EQ(PluginOption::from_scalar("k", "-2.5e-3", false).float_value, -2.5e-3);
  EXPECT_EQ(PluginOption::from_scalar("k", ".5", false).float_value, 0.5);
  EXPECT_EQ(PluginOption::from_scalar("k", "1e3", false).type, DISAGGD_OPTION_FLOAT);
}

TEST(PluginOptionsTest, NonFiniteOrNonYamlNumbersStayStrings) {
  // 1e400 overflows to infinity: not a usable number, so the text is kept as a string.
  for (const char* text : {"1e400", "-1e400", "inf", "nan", "infinity", ".inf", "0x1p3", " 16",
                           "16 ", "1,5", "1.5.5", "e5", "-", "."}) {
    const PluginOption option = PluginOption::from_scalar("k", text, false);
    EXPECT_EQ(option.type, DISAGGD_OPTION_STRING) << text;
    EXPECT_EQ(option.string_value, text);
    // No half-parsed number is left behind in the other fields.
    EXPECT_EQ(option.int_value, 0) << text;
    EXPECT_EQ(option.float_value, 0.0) << text;
  }
}

TEST(PluginOptionsTest, Booleans) {
  for (const char* text : {"true", "True", "TRUE"}) {
    const PluginOption option = PluginOption::from_scalar("k", text, false);
    EXPECT_EQ(option.type, DISAGGD_OPTION_BOOL) << text;
    EXPECT_TRUE(option.bool_value) << text;
  }
  for (const char* text : {"false", "False", "FALSE"}) {
    const PluginOption option = PluginOption::from_scalar("k", text, false);
    EXPECT_EQ(option.type, DISAGGD_OPTION_BOOL) << text;
    EXPECT_FALSE(option.bool_value) << text;
  }
  // YAML 1.1 spellings are not booleans in YAML 1.2, nor here.
  for (const char* text : {"yes", "no", "on", "off", "tRUE"}) {
    EXPECT_EQ(PluginOption::from_scalar("k", text, false).type, DISAGGD_OPTION_STRING) << text;
  }
}

TEST(PluginOptionsTest, EmptyUnquotedScalarIsAnEmptyString) {
  const PluginOption option = PluginOption::from_scalar("k", "", false);
  EXPECT_EQ(option.type, DISAGGD_OPTION_STRING);
  EXPECT_EQ(option.string_value, "");
}

TEST(PluginOptionsTest, AbiViewOfNoOptionsIsNull) {
  const PluginOptions none;
  const AbiOptions abi(none);
  EXPECT_EQ(abi.data(), nullptr);
  EXPECT_EQ(abi.size(), 0u);
}

TEST(PluginOptionsTest, AbiViewPointsIntoTheOptions) {
  const PluginOptions options = {
      PluginOption::from_scalar("enabled", "true", false),
      PluginOption::from_scalar("window", "16", false),
      PluginOption::from_scalar("alpha", "0.25", false),
      PluginOption::from_scalar("label", "16", true),
      PluginOption::from_scalar("debug", "false", false),
  };
  const AbiOptions abi(options);
  ASSERT_EQ(abi.size(), 5u);
  const disaggd_option* o = abi.data();
  ASSERT_NE(o, nullptr);
  for (size_t i = 0; i < options.size(); ++i) {
    // Borrowed, not copied: the views alias the owning strings.
    EXPECT_EQ(o[i].key.data, options[i].key.data());
    EXPECT_EQ(view(o[i].key), options[i].key);
    EXPECT_EQ(o[i].text.data, options[i].text.data());
    EXPECT_EQ(view(o[i].text), options[i].text);
    EXPECT_EQ(o[i].type, static_cast<uint32_t>(options[i].type));
  }
  EXPECT_EQ(o[0].type, static_cast<uint32_t>(DISAGGD_OPTION_BOOL));
  EXPECT_EQ(o[0].bool_value, 1u);
  EXPECT_EQ(o[1].type, static_cast<uint32_t>(DISAGGD_OPTION_INT));
  EXPECT_EQ(o[1].int_value, 16);
  EXPECT_EQ(o[1].float_value, 16.0);
  EXPECT_EQ(o[1].string_value.size, 0u);
  EXPECT_EQ(o[2].type, static_cast<uint32_t>(DISAGGD_OPTION_FLOAT));
  EXPECT_EQ(o[2].float_value, 0.25);
  EXPECT_EQ(o[3].type, static_cast<uint32_t>(DISAGGD_OPTION_STRING));
  EXPECT_EQ(view(o[3].string_value), "16");
  EXPECT_EQ(o[3].string_value.data, options[3].string_value.data());
  EXPECT_EQ(o[4].type, static_cast<uint32_t>(DISAGGD_OPTION_BOOL));
  EXPECT_EQ(o[4].bool_value, 0u);
}

}  // namespace
}  // namespace disaggd::core
