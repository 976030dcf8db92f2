// Python's string semantics on UTF-8 text and Python's json.dumps text.
#include "engine/chat/python_text.h"

#include <gtest/gtest.h>

#include <limits>

#include "engine/chat/python_json.h"

namespace disaggd::engine::jinja {
namespace {

TEST(PythonTextTest, FloatReprMatchesPython) {
  EXPECT_EQ(py_float_repr(1.0), "1.0");
  EXPECT_EQ(py_float_repr(0.1), "0.1");
  EXPECT_EQ(py_float_repr(-2.5), "-2.5");
  EXPECT_EQ(py_float_repr(1e16), "1e+16");
  EXPECT_EQ(py_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(py_float_repr(1e-5), "1e-05");
  EXPECT_EQ(py_float_repr(0.0001), "0.0001");
  EXPECT_EQ(py_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(py_float_repr(-0.0), "-0.0");
  EXPECT_EQ(py_float_repr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(py_float_repr(std::numeric_limits<double>::quiet_NaN()), "nan");
}

TEST(PythonTextTest, SplitStripAndReplace) {
  using V = std::vector<std::string>;
  EXPECT_EQ(py_split("a,b,,c", std::string_view(","), -1), (V{"a", "b", "", "c"}));
  EXPECT_EQ(py_split("  a \u00a0b  ", std::nullopt, -1), (V{"a", "b"}));
  EXPECT_EQ(py_split(" a b c ", std::nullopt, 1), (V{"a", "b c "}));
  EXPECT_EQ(py_rsplit(" a b c ", std::nullopt, 1), (V{" a b", "c"}));
  EXPECT_EQ(py_rsplit("a-b-c", std::string_view("-"), 1), (V{"a-b", "c"}));
  EXPECT_EQ(py_splitlines("a\r\nb\rc\n\nd"), (V{"a", "b", "c", "", "d"}));
  EXPECT_EQ(py_strip("\u3000 x \n", true, true), "x");
  EXPECT_EQ(py_strip_chars("«x»", "«»", true, true), "x");
  EXPECT_EQ(py_replace("abc", "", "-", -1), "-a-b-c-");
  EXPECT_EQ(py_replace("aaa", "a", "b", 2), "bba");
  EXPECT_EQ(py_count("aXbX", "X"), 2U);
}

TEST(PythonTextTest, CodePointsSurviveInvalidUtf8) {
  EXPECT_EQ(code_point_count("h\xC3\xA9llo"), 5U);
  EXPECT_EQ(code_point_count("\xFF\xC3"), 2U);
  EXPECT_EQ(code_point_substr("h\xC3\xA9llo", 1, 3), "\xC3\xA9l");
}

TEST(PythonTextTest, ReprQuotesLikePython) {
  EXPECT_EQ(py_repr_string("it's"), "\"it's\"");
  EXPECT_EQ(py_repr_string("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(py_repr_string("both ' \""), "'both \\' \"'");
  EXPECT_EQ(py_repr_string("t\tn\n\x01\xC2\xA0\xC3\xA9"), "'t\\tn\\n\\x01\\xa0\xC3\xA9'");
}

TEST(PythonJsonTest, DumpsLikePythonJson) {
  const Json value = Json::parse(R"({"b": [1, 2.5, null, true], "a": {}, "s": "é\n\u0001"})");
  JsonDumpOptions options;
  EXPECT_EQ(py_json_dumps(value, options),
            R"({"b": [1, 2.5, null, true], "a": {}, "s": "é\n\u0001"})");
  options.indent = "  ";
  EXPECT_EQ(py_json_dumps(value, options),
            "{\n  \"b\": [\n    1,\n    2.5,\n    null,\n    true\n  ],\n  \"a\": {},\n"
            "  \"s\": \"é\\n\\u0001\"\n}");
  JsonDumpOptions ascii;
  ascii.ensure_ascii = true;
  ascii.sort_keys = true;
  EXPECT_EQ(py_json_dumps(Json::parse(R"({"z": "🚀", "a": "é"})"), ascii),
            R"({"a": "\u00e9", "z": "\ud83d\ude80"})");
}

}  // namespace
}  // namespace disaggd::engine::jinja
