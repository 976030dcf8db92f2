// ChatTemplate against Python's jinja2 (set up as transformers sets it up), byte for byte: small
// templates for each feature, then the fixture templates on many conversations.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chat_test_support.h"

namespace disaggd::engine {
namespace {

using testing::expect_matches_oracle;
using testing::OracleCase;

/// The context most feature cases use.
const char* const kBaseContext = R"J({
  "messages": [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Héllo 世界 🚀"},
    {"role": "assistant", "content": "Hi!"},
    {"role": "user", "content": "Bye"}
  ],
  "obj": {"zeta": 1, "alpha": [1, 2], "items": 3},
  "data": {"name": "get_weather", "parameters": {"type": "object", "required": ["city"],
           "properties": {"city": {"type": "string", "description": "Ville — «Zürich»"}}},
           "ratio": 0.25, "big": 1e100, "flag": false, "nothing": null},
  "tools": [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather"}},
    {"type": "function", "function": {"name": "search", "description": "Search"}}
  ]
})J";

std::vector<OracleCase> feature_cases() {
  const std::vector<std::pair<std::string, std::string>> templates = {
      // Whitespace control and tags.
      {"ws-blocks", "a\n  {% if true %}\n    x\n  {% endif %}\nb\n"},
      {"ws-loop", "{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\nend"},
      {"ws-comments", "  {#- c -#}  x {#+ c +#}\n y {# c #}\nz\n  {# own line #}\nw"},
      {"ws-minus", "a  {%- if true -%}  b  {%- endif -%}  c {{- ' d ' -}} e"},
      {"ws-variable", "a\n{{- 'x' -}}\nb {{ 'y' }}\n  {{ 'z' }}\n c"},
      {"ws-plus", "  {%+ if true %}  x{% endif +%}\nq\n  {%+ if true +%}\n  y\n{%- endif %}"},
      {"ws-raw",
       "{% raw %}{{ not parsed }} {% if %}{% endraw %}\n  {%- raw -%}  {% x %}  {%- endraw %}  "
       "end"},
      {"ws-newlines", "line1\r\nline2\r  {% if 1 %}\r\n yes\n{% endif %}\n\n"},
      {"ws-tabs",
       "\t {% if true %}tab{% endif %}\n\t\t{# comment #}\nafter\n \u00a0{% if true %}nbsp{% endif "
       "%}"},
      {"ws-trailing", "x {% if true %}\n"},
      {"ws-braces", "{{ '{{' }} {{ {'a': {'b': 1}} }} {{ \"}}\" }} {{ [{'x': [1]}] }}"},
      {"ws-line-start",
       "{% if true %}a{% endif %}   {% if true %}b{% endif %}\n   {% if true %}c{% endif %}"},
      // Literals and operators.
      {"strings",
       R"J({{ 'a\'b' }} {{ "x\ty\n" }} {{ '\u00e9\x41\101\\' }} {{ 'con' "cat" }} {{ '\q' }})J"},
      {"arithmetic",
       "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 "
       "}} "
       "{{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ 1.5 + 1 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e-5 }} "
       "{{ 123456789.0 * 1000000000 }} {{ -0.0 }} {{ 1_000 }} {{ 0x1F }} {{ 3.0 // 2 }} "
       "{{ -3.5 % 2 }} {{ 7.5 // -2 }} {{ true + 1 }} {{ -(3) }} {{ +4 }} {{ 2 ** -1 }}"},
      {"floats",
       "{{ [0.1, 1.0, 100.0, 1e16, 1e15, 123456789012345678.0, 1.5e-7, 0.0001, 2.5e-5, "
       "1.7976931348623157e308, 5e-324, 2.0 / 3] }}"},
      {"concat",
       "{{ 'a' ~ 1 ~ none ~ true ~ [1, 'b'] ~ undefined_thing }} {{ 'x' * 3 }} {{ 3 * 'y' }} "
       "{{ [1] * 2 }} {{ [1, 2] + [3] }} {{ 'ab' + 'cd' }} {{ 1 + 2 ~ 3 }} {{ 'q' * -1 }}"},
      {"comparisons",
       "{{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} "
       "{{ 3 > 2 > 2 }} {{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} "
       "{{ 'z' not in 'abc' }} {{ none == none }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} "
       "{{ not 1 }} {{ not 0 and 1 }} {{ 'é' > 'e' }} {{ 2 >= 2.0 }} {{ [1] != [1] }}"},
      {"logic",
       "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' or [] }} {{ none or none }}|{{ x or 'dflt' }} "
       "{{ not x is defined }} {{ not (1 and 0) }}"},
      {"conditional",
       "{{ 'yes' if 1 else 'no' }} [{{ 'a' if 0 }}] {{ 'a' if 0 else 'b' if 1 else 'c' }}"},
      {"containers",
       R"J({{ [1, 'two', 3.5, none, true, {'k': "it's"}, ["q\""]] }} {{ {'a': [1, {'b': none}]} }} {{ [] }} {{ {} }} {{ ['\x00', '\u00a0', 'é', 'tab\t', "both'\""] }})J"},
      {"slicing",
       "{{ [1, 2, 3, 4, 5][1:] }} {{ [1, 2, 3, 4, 5][::-1] }} {{ [1, 2, 3, 4, 5][1:4:2] }} "
       "{{ [1, 2, 3][-1] }} {{ 'héllo'[1] }} {{ 'héllo'[::-1] }} {{ 'héllo'[1:3] }} [{{ [1, 2, "
       "3][5] }}] "
       "{{ [1, 2, 3][-2:] }} {{ 'abc'[:-1] }} {{ [1, 2, 3, 4][-1:0:-1] }} {{ [1, 2][-9:9] }} "
       "{{ messages[1:][0].role }} {{ messages[::-1][0].content }} {{ 'abc'.0 }}"},
      {"attributes",
       "{{ obj.zeta }} {{ obj['alpha'] }} [{{ obj.missing }}] {{ obj.get('zeta') }} "
       "{{ obj.get('nope') }} {{ obj.get('nope', 'd') }} {{ obj.items() | list | length }} "
       "{{ obj.keys() | list }} {{ obj.values() | list }} {{ obj['items'] }} {{ obj.alpha.1 }} "
       "[{{ none.x }}] {{ messages[0].content }} {{ messages|length }} {{ messages[-1]['role'] }}"},
      // Statements.
      {"set-scoping",
       "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}{{ x }};{% endfor %}{{ x }}"
       "{% if true %}{% set y = 5 %}{% endif %}{{ y }}"},
      {"namespace",
       "{% set ns = namespace(count=0, found=false, items=[]) %}{% for i in range(5) %}"
       "{% if i is odd %}{% set ns.count = ns.count + 1 %}{% set ns.items = ns.items + [i] %}"
       "{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.items }} {{ ns.nope is defined "
       "}}"
       "{% set ns2 = namespace({'a': 1}, b=2) %}{{ ns2.a }}{{ ns2.b }}"},
      {"set-forms",
       "{% set a, b = [1, 2] %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t|length }}"
       "{% set body %}  inner {{ 1 + 1 }}\n{% endset %}[{{ body }}]"
       "{% set up | upper %}abc{% endset %}{{ up }}{% set d = dict(x=1, y='z') %}{{ d.y }}"},
      {"loop-vars",
       "{% for m in messages %}{{ loop.index }}/{{ loop.length }} {{ loop.index0 }} {{ loop.first "
       "}} "
       "{{ loop.last }} {{ loop.revindex }} {{ loop.revindex0 }} {{ loop.previtem is defined }} "
       "{{ loop.nextitem.role if loop.nextitem is defined else '-' }} {{ loop.cycle('odd', 'even') "
       "}}\n"
       "{% endfor %}"},
      {"loop-kinds",
       "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}"
       "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}{% for c in 'héj' %}[{{ c }}]{% endfor %}"
       "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}{% for k, v in obj|items %}{{ k "
       "}}{% endfor %}"
       "{% for (a, b) in ['xy'] %}{{ b }}{{ a }}{% endfor %}"},
      {"loop-else-filter",
       "{% for x in [] %}no{% else %}empty{% endfor %}"
       "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.length }}{{ loop.last }}{% endfor %}"
       "{% for x in missing %}never{% else %}none{% endfor %}"
       "{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role[0] }}{% endfor %}"},
      {"loop-controls",
       "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}"
       "{% endif %}{{ i }}{% endfor %}|{% for i in range(3) %}{% for j in range(3) %}"
       "{% if j == 1 %}{% break %}{% endif %}{{ i }}{{ j }}{% endfor %}{% endfor %}"
       "{% for i in range(1, 10, 3) %}{{ i }}{% endfor %}{% for i in range(5, 0, -2) %}{{ i }}{% "
       "endfor %}"},
      {"loop-nested",
       "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}"
       "{{ loop.index }}|{% endfor %}"},
      {"macros",
       "{% macro tag(name, value='v', extra=none) %}<{{ name }}={{ value }}{{ '!' if extra }}>"
       "{% endmacro %}{{ tag('a') }}{{ tag('b', 'c') }}{{ tag('d', extra=1) }}"
       "{{ tag(value='z', name='n') }}{% macro two(a, b) %}{{ a }}{{ b is defined }}{% endmacro %}"
       "{{ two(1) }}{{ tag('x') | upper }}"},
      {"macro-recursion",
       "{% macro show(v, depth) %}{% if v is mapping %}{% for k, x in v.items() %}{{ k }}:"
       "{{ show(x, depth + 1) }}{% endfor %}{% else %}{{ v }}@{{ depth }}{% endif %} {% endmacro %}"
       "{{ show({'a': {'b': 1, 'c': [1]}}, 0) }}"},
      {"macro-scope",
       "{% set greeting = 'hi' %}{% macro greet(who) %}{{ greeting }} {{ who }} {{ messages|length "
       "}}"
       "{% endmacro %}{% for m in messages %}{{ greet(m.role) }};{% endfor %}"},
      {"generation",
       "{% for m in messages %}{% generation %}{{ m.content }}{% set q = 1 %}"
       "{% endgeneration %}{% endfor %}"},
      {"filter-block",
       "{% filter upper %}abc {{ 'x' }}{% endfilter %}{% filter trim | replace('a', 'b') %}  aaa  "
       "{% endfilter %}"},
      // Filters.
      {"filters-text",
       "{{ '  x y  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'Hello'|upper }}{{ 'HeLLo'|lower }}"
       "{{ 'hello world'|capitalize }}{{ 'hello big-world (x)'|title }}|{{ 'aaa'|replace('a', 'b', "
       "2) }}"
       "{{ 'abc'|replace('', '-') }}|{{ 42|string ~ 'x' }}|{{ 'abc'|length }}{{ 'é'|length }}"
       "{{ {'a': 1}|count }}{{ missing|length }}|{{ '<a href=\"x\">&\\'</a>'|e }}|{{ 5|upper }}"},
      {"filters-sequences",
       "{{ [1, 2, 3]|join(', ') }}{{ ['a', none, 1]|join }}|{{ [3, 1]|first }}{{ [3, 1]|last }}"
       "{{ 'abc'|first }}[{{ []|first }}]|{{ [1, 2]|reverse|list }}{{ 'abc'|reverse }}|"
       "{{ 'ab'|list }}{{ {'k': 1}|list }}|{{ ({'a': 1}|items|list)[0][1] }}|{{ "
       "missing|default('d') }}"
       "{{ ''|default('e', true) }}{{ none|default('n') }}{{ 0|d(5) }}|{{ [3, 1, 2]|sort|list }}"
       "{{ ['b', 'A', 'c']|sort }}{{ [1, 2, 3]|sum }}{{ [3, 1]|sort(reverse=true) }}"
       "{{ messages|map(attribute='role')|join(',') }}{{ missing|list }}"},
      {"filters-numbers",
       "{{ '42'|int + 1 }} {{ '4.5'|float }} {{ 'x'|int(7) }} {{ -3|abs }} {{ 4.7|int }} "
       "{{ '3.9'|int }} {{ '0x1A'|int(0, 16) }} {{ true|int }} {{ ' 12 '|int }} {{ 'nan'|float }}"},
      {"filters-select",
       "{{ tools|map(attribute='function.name')|join(',') }} "
       "{{ ['a', 'code', 'b']|reject('equalto', 'code')|join(',') }} {{ [1, 2, 3, "
       "4]|select('odd')|list }} "
       "{{ messages|selectattr('role', 'equalto', 'user')|list|length }} "
       "{{ messages|rejectattr('role', 'eq', 'user')|map(attribute='content')|list }} "
       "{{ ['  a ', ' b']|map('trim')|join }} {{ [0, 1, '']|select|list }} "
       "{{ messages|selectattr('name')|list }} {{ [1, 2, 3]|select('gt', 1)|list }} "
       "{{ tools|map(attribute='nope', default='?')|list }}"},
      {"filters-indent",
       "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent('> ', "
       "blank=true) }}"},
      {"tojson",
       "{{ data|tojson }}\n{{ data|tojson(indent=2) }}\n{{ data|tojson(sort_keys=true) }}\n"
       "{{ 'é\"\\n<>&\\u2028\\x01\\x7f'|tojson }}\n{{ [1.0, 1e100, -0.5, 3, true, none]|tojson }}\n"
       "{{ {}|tojson(indent=4) }}{{ []|tojson }}{{ [[]]|tojson(indent=1) }}\n"
       "{{ data|tojson(ensure_ascii=true) }}\n{{ data|tojson(separators=(',', ':')) }}\n"
       "{{ tools[0]|tojson(indent=4) }}\n{{ 'x 🚀'|tojson(ensure_ascii=true) }} {{ "
       "messages[1].content|tojson }}"},
      // Tests.
      {"tests",
       "{{ x is defined }}{{ messages is defined }}{{ none is none }}{{ 1 is number }}"
       "{{ true is number }}{{ true is boolean }}{{ 1 is integer }}{{ true is integer }}"
       "{{ 1.0 is float }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is iterable }}"
       "{{ 'a' is iterable }}{{ 1 is iterable }}{{ missing is iterable }}{{ 3 is odd }}"
       "{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 'a' is eq 'a' }}"
       "{{ 1 is equalto 2 }}{{ 1 is in [1] }}{{ true is true }}{{ 1 is true }}{{ false is false }}"
       "{{ x is not none }}{{ none is not none }}{{ 'abc' is lower }}{{ 'ABC' is upper }}"
       "{{ strftime_now is defined }}{{ raise_exception is callable }}{{ 1 is ge 1 }}{{ 1 is lt 2 "
       "}}"
       "{{ x is undefined }}{{ none is sameas none }}{{ 'tojson' is filter }}{{ 'odd' is test }}"
       "{{ [] is sequence }}{{ tools is mapping }}{{ obj is mapping }}{{ 1 is string }}"},
      // Methods.
      {"methods",
       "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} "
       "{{ 'a b c'.rsplit(' ', 1) }} {{ ' a b c '.rsplit(none, 1) }} "
       "{{ "
       "'x<think>\ny</think>\n\nz'.split('</"
       "think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }} "
       "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ '  pad '.strip() }}|"
       "{{ 'xxaxx'.strip('x') }}|{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}{{ 'hi there'.capitalize() }}|"
       "{{ 'a-b-c'.replace('-', '+') }}{{ 'a-b-c'.replace('-', '+', 1) }}{{ 'abc'.find('c') }}"
       "{{ 'aXbXc'.count('X') }}|{{ ', '.join(['a', 'b']) }}|{{ 'l1\\nl2\\r\\nl3'.splitlines() }}"
       "{{ '12'.isdigit() }}{{ ' '.isspace() }}{{ 'ab'.isalpha() }}{{ '\\u3000x\\u3000'.strip() "
       "}}"},
      // Undefined semantics.
      {"undefined",
       "[{{ missing }}][{{ missing.attr is defined if missing is defined else 'skip' }}]"
       "[{% if missing %}t{% else %}f{% endif %}][{{ missing|length }}][{{ missing == missing }}]"
       "[{{ missing != 1 }}][{{ 'x' in missing }}][{% for a in missing %}a{% endfor %}]"
       "[{{ missing ~ 'c' }}][{{ obj.nope }}][{{ obj.nope is defined }}][{{ obj.nope or 'fallback' "
       "}}]"
       "[{{ missing|string }}][{{ missing|trim }}][{{ missing|join }}][{{ missing|default(1) }}]"
       "[{{ messages[9] is defined }}][{{ missing is none }}][{{ missing|upper }}]"},
      {"strftime",
       "{{ strftime_now('%Y-%m-%d %H:%M %A %b %d %B') }}|{{ strftime_now('') }}|"
       "{{ strftime_now('%%') }}"},
      // Errors (both sides must fail; raise_exception messages must be equal).
      {"err-undefined-attr", "{{ missing.attr }}"},
      {"err-undefined-chain", "{{ obj.nope.deeper }}"},
      {"err-add-str-int", "{{ 'a' + 1 }}"},
      {"err-add-int-str", "{{ 1 + 'a' }}"},
      {"err-undefined-add", "{{ missing + 1 }}"},
      {"err-div-zero", "{{ 1 / 0 }}"},
      {"err-call-undefined", "{{ missing() }}"},
      {"err-call-missing-method", "{{ 'abc'.nope() }}"},
      {"err-raise",
       "{% if true %}{{ raise_exception('Roles must alternate: user/assistant/...') }}{% endif %}"},
      {"err-raise-unicode", "{{ raise_exception('Fehler: «' ~ messages[1].content ~ '»') }}"},
      {"err-unpack", "{% for a, b in [1] %}{% endfor %}"},
      {"err-length", "{{ 5|length }}"},
      {"err-tojson-undefined", "{{ missing|tojson }}"},
      {"err-slice-step", "{{ [1][0:1:0] }}"},
      {"err-compare", "{{ 1 < 'a' }}"},
      {"err-set-non-namespace", "{% set ns = 1 %}{% set ns.x = 1 %}"},
      {"err-macro-args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"},
      {"err-range", "{% for i in range(1000000) %}{% endfor %}"},
      {"err-unclosed", "{% if x %}"},
      {"err-bad-expr", "{{ 1 + }}"},
      {"err-stray-end", "{% endfor %}"},
      {"err-unknown-filter", "{{ x|nosuchfilter }}"},
      {"err-unknown-test", "{{ x is nosuchtest }}"},
      {"err-none-iter", "{% for x in none %}{% endfor %}"},
      {"err-in-int", "{{ 1 in 2 }}"},
      {"err-slice-int", "{{ obj.zeta[1:] }}"},
      {"err-slice-dict", "{{ obj[1:] }}"},
      {"err-indent-int", "{{ obj.zeta | indent }}"},
      {"tests-float-parity",
       "{{ 2.5 is odd }}{{ 4.0 is even }}{{ 7.5 is divisibleby 2.5 }}{{ 3 is odd }}"},
  };
  const nlohmann::ordered_json context = nlohmann::ordered_json::parse(kBaseContext);
  std::vector<OracleCase> cases;
  for (const auto& [name, source] : templates) {
    cases.push_back({name, source, context, {}});
  }
  // Whitespace handling under every combination of trim_blocks and lstrip_blocks.
  for (const bool trim : {false, true}) {
    for (const bool lstrip : {false, true}) {
      for (const auto& [name, source] : templates) {
        if (name.rfind("ws-", 0) == 0) {
          cases.push_back({name + (trim ? "+trim" : "-trim") + (lstrip ? "+lstrip" : "-lstrip"),
                           source,
                           context,
                           {trim, lstrip}});
        }
      }
    }
  }
  return cases;
}

TEST(ChatTemplateOracleTest, FeatureCasesMatchJinja2) {
  if (!testing::oracle_available()) {
    GTEST_SKIP() << "python3-jinja2 is not installed for " << DISAGGD_TEST_PYTHON;
  }
  expect_matches_oracle(feature_cases());
}

/// Every fixture template on every fixture conversation, with and without a generation prompt,
/// and with enable_thinking unset, true and false.
TEST(ChatTemplateOracleTest, FixtureTemplatesMatchJinja2) {
  if (!testing::oracle_available()) {
    GTEST_SKIP() << "python3-jinja2 is not installed for " << DISAGGD_TEST_PYTHON;
  }
  const std::filesystem::path dir = testing::chat_fixture_dir();
  const nlohmann::ordered_json conversations =
      nlohmann::ordered_json::parse(testing::read_text_file(dir / "conversations.json"));
  std::vector<OracleCase> cases;
  std::size_t templates = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jinja") {
      continue;
    }
    ++templates;
    const std::string source = testing::read_text_file(entry.path());
    for (const auto& conversation : conversations) {
      for (const bool generation_prompt : {false, true}) {
        for (const int thinking : {-1, 0, 1}) {
          nlohmann::ordered_json context = conversation["context"];
          context["add_generation_prompt"] = generation_prompt;
          if (thinking >= 0) {
            context["enable_thinking"] = thinking == 1;
          }
          cases.push_back({entry.path().filename().string() + " on " +
                               conversation["name"].get<std::string>() +
                               (generation_prompt ? " +prompt" : "") +
                               (thinking < 0 ? "" : (thinking == 1 ? " +thinking" : " -thinking")),
                           source,
                           context,
                           {}});
        }
      }
    }
  }
  EXPECT_GE(templates, 5U);
  expect_matches_oracle(cases);
}

}  // namespace
}  // namespace disaggd::engine
