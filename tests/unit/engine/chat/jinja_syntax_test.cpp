// Template syntax: whitespace control (trim_blocks, lstrip_blocks, {%- -%}, {%+ +%}), comments,
// raw blocks, newline handling, and parse errors that name the line and column.
#include <gtest/gtest.h>

#include <string>

#include "chat_test_support.h"

namespace disaggd::engine {
namespace {

using testing::render_text;

constexpr ChatTemplateSyntax kNoTrim{false, false};

TEST(JinjaSyntaxTest, TransformersWhitespaceSettingsByDefault) {
  // trim_blocks drops the newline after a block tag; lstrip_blocks the indentation before it.
  EXPECT_EQ(render_text("a\n  {% if true %}\n  x\n  {% endif %}\nb"), "a\n  x\nb");
  EXPECT_EQ(render_text("a\n  {% if true %}\n  x\n  {% endif %}\nb", "{}", kNoTrim),
            "a\n  \n  x\n  \nb");
  EXPECT_EQ(render_text("{% for i in [1, 2] %}\n{{ i }}\n{% endfor %}"), "1\n2\n");
  // Neither applies to {{ }} tags.
  EXPECT_EQ(render_text("  {{ 'x' }}\ny"), "  x\ny");
  // Comments are blocks for both settings.
  EXPECT_EQ(render_text("a\n  {# note #}\nb"), "a\nb");
}

TEST(JinjaSyntaxTest, MinusAndPlusModifiers) {
  EXPECT_EQ(render_text("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(render_text("a \n {{- 'x' -}} \n b"), "axb");
  EXPECT_EQ(render_text("a {#- comment -#} b"), "ab");
  // {%+ keeps the indentation lstrip_blocks would drop; +%} keeps the newline.
  EXPECT_EQ(render_text("  {%+ if true %}x{% endif %}"), "  x");
  EXPECT_EQ(render_text("{% if true +%}\nx{% endif %}"), "\nx");
  EXPECT_EQ(render_text("{{- ' a ' -}}"), " a ");
}

TEST(JinjaSyntaxTest, RawBlocksAndLiteralBraces) {
  EXPECT_EQ(render_text("{% raw %}{{ x }} {% if %}{% endraw %}"), "{{ x }} {% if %}");
  EXPECT_EQ(render_text("{{ '{{' }}{{ {'a': {'b': 1}}['a']['b'] }}"), "{{1");
  EXPECT_EQ(render_text("{{ \"}}\" }}"), "}}");
}

TEST(JinjaSyntaxTest, NewlinesAreNormalizedAndOneTrailingNewlineDropped) {
  EXPECT_EQ(render_text("a\r\nb\rc\n"), "a\nb\nc");
  EXPECT_EQ(render_text("a\n\n"), "a\n");
}

TEST(JinjaSyntaxTest, Literals) {
  EXPECT_EQ(render_text(R"({{ 'it\'s' }} {{ "tab\there" }} {{ '\u00e9\x41' }} {{ 'a' 'b' }})"),
            "it's tab\there éA ab");
  EXPECT_EQ(render_text("{{ 1_000 }} {{ 0x10 }} {{ 1.5e3 }} {{ True }} {{ None }} {{ [1, 2,] }}"),
            "1000 16 1500.0 True None [1, 2]");
  EXPECT_EQ(render_text("{{ {'a': 1, 'b': [2]} }}"), "{'a': 1, 'b': [2]}");
}

TEST(JinjaSyntaxTest, Precedence) {
  // Filters bind tighter than arithmetic, `~` tighter than `+`, `is` tighter than `not`.
  EXPECT_EQ(render_text("{{ 'a' + 'b' | upper }}"), "aB");
  EXPECT_EQ(render_text("{{ [1, 2, 3] | length - 1 }}"), "2");
  EXPECT_EQ(render_text("{{ not x is defined }}"), "True");
  EXPECT_EQ(render_text("{{ 2 ** 3 ** 2 }}"), "64");
  EXPECT_EQ(render_text("{{ -2 ** 2 }}"), "4");
}

TEST(JinjaSyntaxTest, ParseErrorsNameLineAndColumn) {
  EXPECT_EQ(render_text("a\n{% if x %}\nb"),
            "ERROR: line 2, column 1: '{% if %}' is never closed: expected '{% endif %}' before "
            "the end of the template");
  EXPECT_EQ(render_text("{% for x in y %}\n  {% endif %}\n{% endfor %}"),
            "ERROR: line 2, column 6: unexpected '{% endif %}': the innermost open block is "
            "'{% for %}' at line 1, column 1");
  EXPECT_EQ(render_text("{{ 1 + }}"), "ERROR: line 1, column 8: expected an expression, got '}}'");
  EXPECT_EQ(render_text("x\n  {{ m | nosuch }}"),
            "ERROR: line 2, column 10: no filter named 'nosuch'");
  EXPECT_EQ(render_text("{{ m is nosuch }}"), "ERROR: line 1, column 9: no test named 'nosuch'");
  EXPECT_EQ(render_text("{% include 'x.jinja' %}"),
            "ERROR: line 1, column 4: '{% include %}' is not supported in chat templates");
  EXPECT_EQ(render_text("{% frobnicate %}"), "ERROR: line 1, column 4: unknown tag 'frobnicate'");
  EXPECT_EQ(render_text("{{ 'abc }}"), "ERROR: line 1, column 4: unterminated string literal");
  EXPECT_EQ(render_text("{{ a ! b }}"), "ERROR: line 1, column 6: unexpected character '!'");
  EXPECT_EQ(render_text("ok\n{{ x "), "ERROR: line 2, column 1: missing '}}' to close this '{{'");
  EXPECT_EQ(render_text("{# open"), "ERROR: line 1, column 1: missing '#}' to close this comment");
  EXPECT_EQ(render_text("{% raw %}x"),
            "ERROR: line 1, column 1: missing {% endraw %} for this {% raw %}");
  EXPECT_EQ(render_text("{% break %}"),
            "ERROR: line 1, column 4: '{% break %}' outside a for loop");
  EXPECT_EQ(render_text("{{ (1 ] }}"), "ERROR: line 1, column 7: unexpected ']', expected ')'");
  EXPECT_EQ(render_text("{% macro m(a=1, b) %}{% endmacro %}"),
            "ERROR: line 1, column 17: parameter 'b' without a default follows one with a default");
  EXPECT_EQ(render_text("{{ 99999999999999999999 }}"),
            "ERROR: line 1, column 4: integer literal 99999999999999999999 is too large");
  EXPECT_EQ(render_text("é {{ x y }}"), "ERROR: line 1, column 8: expected '}}', got 'y'");
}

TEST(JinjaSyntaxTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_EQ(render_text(deep).rfind("ERROR: line 1, column ", 0), 0U);
  EXPECT_NE(render_text(deep).find("deeper than 100 levels"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 500; ++i) {
    blocks += "{% if true %}";
  }
  EXPECT_NE(render_text(blocks).find("deeper than 100 levels"), std::string::npos);
}

}  // namespace
}  // namespace disaggd::engine
