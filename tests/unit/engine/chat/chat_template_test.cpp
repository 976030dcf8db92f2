// ChatTemplate rendering: expressions, statements, filters, tests, methods, Jinja's Undefined,
// errors with positions, limits, and the fixture templates on a few conversations (expected
// outputs written out, so these run without Python).
#include "engine/chat/chat_template.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "chat_test_support.h"

namespace disaggd::engine {
namespace {

using testing::render_text;

const char* const kMessages = R"J({"messages": [
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Hi"},
  {"role": "assistant", "content": "Hello!"}]})J";

TEST(ChatTemplateTest, RendersTextAndVariables) {
  EXPECT_EQ(render_text("plain text"), "plain text");
  EXPECT_EQ(render_text("{{ name }}!", R"({"name": "world"})"), "world!");
  EXPECT_EQ(
      render_text("{{ n }} {{ f }} {{ b }} {{ z }}", R"({"n": 3, "f": 1.0, "b": true, "z": null})"),
      "3 1.0 True None");
  EXPECT_EQ(render_text("{{ messages[1].content }}/{{ messages[2]['role'] }}", kMessages),
            "Hi/assistant");
  EXPECT_EQ(render_text("{{ [1, 'a', none, {'k': true}] }}"), "[1, 'a', None, {'k': True}]");
  EXPECT_EQ(render_text(""), "");
}

TEST(ChatTemplateTest, UndefinedBehavesLikeJinjasDefaultUndefined) {
  EXPECT_EQ(render_text("[{{ missing }}]"), "[]");
  EXPECT_EQ(render_text("{% if missing %}yes{% else %}no{% endif %}"), "no");
  EXPECT_EQ(render_text("{{ missing is defined }} {{ missing is undefined }}"), "False True");
  EXPECT_EQ(render_text("{{ missing | length }} {{ missing | default('d') }}"), "0 d");
  EXPECT_EQ(render_text("{% for x in missing %}x{% endfor %}."), ".");
  EXPECT_EQ(render_text("{{ 'a' ~ missing ~ 'b' }}"), "ab");
  EXPECT_EQ(render_text("{{ missing == missing }} {{ missing == none }}"), "True False");
  // A missing key of a defined object is Undefined too; using it further is an error.
  EXPECT_EQ(render_text("[{{ m.nope }}] {{ m.nope is defined }}", R"({"m": {}})"), "[] False");
  EXPECT_EQ(render_text("{{ missing.attr }}"), "ERROR: line 1, column 11: 'missing' is undefined");
  EXPECT_EQ(render_text("{{ m.nope.deeper }}", R"({"m": {}})"),
            "ERROR: line 1, column 10: 'dict object' has no attribute 'nope'");
  EXPECT_EQ(render_text("{{ missing + 1 }}"), "ERROR: line 1, column 12: 'missing' is undefined");
  EXPECT_EQ(render_text("{{ missing() }}"), "ERROR: line 1, column 11: 'missing' is undefined");
  EXPECT_EQ(render_text("{{ messages[7] is defined }}", kMessages), "False");
}

TEST(ChatTemplateTest, Operators) {
  EXPECT_EQ(
      render_text("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }}"),
      "7 9 3 -4 2");
  EXPECT_EQ(render_text("{{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 0.1 + 0.2 }} {{ 1e20 }}"),
            "3.5 2.0 1024 0.30000000000000004 1e+20");
  EXPECT_EQ(render_text("{{ 'a' ~ 1 ~ none }} {{ 'ab' + 'cd' }} {{ 'x' * 3 }} {{ [1] + [2] }}"),
            "a1None abcd xxx [1, 2]");
  EXPECT_EQ(render_text("{{ 1 == 1.0 }} {{ 1 == true }} {{ 1 < 2 < 3 }} {{ 'b' in 'abc' }} "
                        "{{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }}"),
            "True True True True True True");
  EXPECT_EQ(render_text("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }} {{ 'a' if false else 'b' }}"),
            "x y True b");
  EXPECT_EQ(render_text(
                "{{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3][::-1] }} {{ 'héllo'[1:3] }} {{ [1, 2][-1] }}"),
            "[2, 3, 4] [3, 2, 1] él 2");
  EXPECT_EQ(render_text("{{ 'a' + 1 }}"),
            "ERROR: line 1, column 8: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(render_text("{{ 1 / 0 }}"), "ERROR: line 1, column 6: division by zero");
  EXPECT_EQ(render_text("{{ 1 < 'a' }}"),
            "ERROR: line 1, column 4: '<' not supported between instances of 'int' and 'str'");
  EXPECT_EQ(render_text("{{ 9223372036854775807 + 1 }}"),
            "ERROR: line 1, column 24: integer overflow");
}

TEST(ChatTemplateTest, IfAndForStatements) {
  EXPECT_EQ(
      render_text("{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}", R"({"x": 2})"),
      "two");
  EXPECT_EQ(render_text("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}"
                        "{{ loop.last }}{{ loop.length }}{{ loop.revindex }} {% endfor %}",
                        kMessages),
            "10TrueFalse33 21FalseFalse32 32FalseTrue31 ");
  EXPECT_EQ(render_text("{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}{{ v }}{% endfor %}"),
            "b1a2");
  EXPECT_EQ(render_text("{% for c in 'hé' %}[{{ c }}]{% endfor %}"), "[h][é]");
  EXPECT_EQ(render_text("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(
      render_text("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"),
      "2/2 4/2 ");
  EXPECT_EQ(render_text("{% for i in range(9) %}{% if i == 1 %}{% continue %}{% endif %}"
                        "{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
            "023");
  EXPECT_EQ(render_text("{% for m in messages %}{{ loop.cycle('a', 'b') }}{% endfor %}", kMessages),
            "aba");
  EXPECT_EQ(render_text("{% for m in messages %}{{ loop.previtem.role if loop.previtem is defined "
                        "else '-' }}{% endfor %}",
                        kMessages),
            "-systemuser");
}

TEST(ChatTemplateTest, SetScopesAndNamespaces) {
  // Assignments in a loop body stay in that iteration; namespace() carries state out.
  EXPECT_EQ(render_text("{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}{{ x }} "
                        "{% endfor %}{{ x }}"),
            "110 120 1");
  EXPECT_EQ(
      render_text("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}"
                  "{% endfor %}{{ ns.n }}"),
      "6");
  EXPECT_EQ(render_text("{% if true %}{% set y = 5 %}{% endif %}{{ y }}"), "5");
  EXPECT_EQ(render_text("{% set a, b = [1, 2] %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render_text("{% set block %} x {{ 1 }} {% endset %}[{{ block }}]"), "[ x 1 ]");
  EXPECT_EQ(render_text("{% set messages = messages[1:] %}{{ messages | length }}", kMessages),
            "2");
  EXPECT_EQ(render_text("{% set n = 1 %}{% set n.x = 2 %}"),
            "ERROR: line 1, column 16: cannot assign attribute 'x' on 'n': it is not a namespace() "
            "object");
  // A namespace that refers to itself must not leak (AddressSanitizer's leak check sees this).
  EXPECT_EQ(render_text("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me is defined }}"),
            "True");
}

TEST(ChatTemplateTest, Macros) {
  EXPECT_EQ(render_text("{% macro tag(name, value='v') %}<{{ name }}={{ value }}>{% endmacro %}"
                        "{{ tag('a') }}{{ tag('b', 'c') }}{{ tag(value='z', name='n') }}"),
            "<a=v><b=c><n=z>");
  EXPECT_EQ(
      render_text("{% macro fact(n) %}{{ 1 if n <= 1 else n * fact(n - 1) | int }}{% endmacro %}"
                  "{{ fact(5) }}"),
      "120");
  EXPECT_EQ(render_text("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"),
            "ERROR: line 1, column 35: macro 'm' takes not more than 1 argument(s)");
  EXPECT_EQ(render_text("{% macro m(a) %}{% endmacro %}{{ m(b=2) }}"),
            "ERROR: line 1, column 35: macro 'm' takes no keyword argument 'b'");
}

TEST(ChatTemplateTest, Filters) {
  EXPECT_EQ(render_text("[{{ '  x  ' | trim }}] {{ 'Hi' | upper }}{{ 'Hi' | lower }} "
                        "{{ 'hello there' | capitalize }} {{ 'a-b' | replace('-', '+') }}"),
            "[x] HIhi Hello there a+b");
  EXPECT_EQ(render_text("{{ messages | length }} {{ 'héllo' | length }} {{ [1, 2] | join('-') }} "
                        "{{ [3, 4] | first }}{{ [3, 4] | last }} {{ [1, 2] | reverse | list }}",
                        kMessages),
            "3 5 1-2 34 [2, 1]");
  EXPECT_EQ(
      render_text("{{ 'ab' | list }} {{ {'k': 1} | items | list | length }} {{ 5 | string }}"),
      "['a', 'b'] 1 5");
  EXPECT_EQ(render_text("{{ x | default('d') }} {{ '' | default('e', true) }} {{ none | d('n') }}"),
            "d e None");
  EXPECT_EQ(render_text("{{ messages | map(attribute='role') | join(',') }} "
                        "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} "
                        "{{ ['a', 'b'] | reject('equalto', 'a') | list }}",
                        kMessages),
            "system,user,assistant 1 ['b']");
  EXPECT_EQ(render_text("{{ 'a\nb' | indent(2) }}|{{ ' 4 ' | int + 1 }}|{{ '2.5' | float }}"),
            "a\n  b|5|2.5");
  EXPECT_EQ(render_text("{{ 5 | length }}"),
            "ERROR: line 1, column 8: object of type 'int' has no len()");
}

TEST(ChatTemplateTest, TojsonIsTransformersJsonDumps) {
  const char* const context =
      R"J({"t": {"name": "f", "args": {"b": 1, "a": [1.5, null, "é<>&\""]}}})J";
  EXPECT_EQ(render_text("{{ t | tojson }}", context),
            R"J({"name": "f", "args": {"b": 1, "a": [1.5, null, "é<>&\""]}})J");
  EXPECT_EQ(render_text("{{ t.args | tojson(indent=2) }}", context),
            "{\n  \"b\": 1,\n  \"a\": [\n    1.5,\n    null,\n    \"é<>&\\\"\"\n  ]\n}");
  EXPECT_EQ(render_text("{{ t.args | tojson(sort_keys=true, ensure_ascii=true) }}", context),
            R"J({"a": [1.5, null, "\u00e9<>&\""], "b": 1})J");
  EXPECT_EQ(render_text("{{ t | tojson(separators=(',', ':')) }}", context),
            R"J({"name":"f","args":{"b":1,"a":[1.5,null,"é<>&\""]}})J");
  EXPECT_EQ(
      render_text("{{ missing | tojson }}"),
      "ERROR: line 1, column 14: tojson: object of type 'Undefined' is not JSON serializable");
  // render() takes nlohmann::json, whose objects are sorted; render_ordered() keeps the order.
  const auto parsed = ChatTemplate::parse("{{ t | tojson }}");
  ASSERT_TRUE(parsed.ok());
  const auto sorted = parsed->render(nlohmann::json::parse(context));
  ASSERT_TRUE(sorted.ok()) << sorted.status().message();
  EXPECT_EQ(*sorted, R"J({"args": {"a": [1.5, null, "é<>&\""], "b": 1}, "name": "f"})J");
}

TEST(ChatTemplateTest, Tests) {
  EXPECT_EQ(
      render_text("{{ 'a' is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 1 is iterable }}"
                  "{{ none is none }}{{ x is not none }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}"
                  "{{ true is true }}{{ 1 is true }}{{ 1 is number }}{{ 1.5 is integer }}"
                  "{{ 'a' is eq 'a' }}{{ 2 is in [1, 2] }}"),
      "TrueTrueTrueFalseTrueTrueTrueTrueTrueFalseTrueFalseTrueTrue");
  EXPECT_EQ(
      render_text("{% if enable_thinking is defined and enable_thinking is false %}off{% endif %}",
                  R"({"enable_thinking": false})"),
      "off");
}

TEST(ChatTemplateTest, StringAndDictMethods) {
  EXPECT_EQ(
      render_text("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }}"),
      "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c']");
  EXPECT_EQ(render_text("{{ 'xyx'.strip('x') }} [{{ '  p  '.lstrip() }}] [{{ '  p  '.rstrip() }}] "
                        "{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('x') }} {{ 'Ab'.upper() }}"
                        "{{ 'Ab'.lower() }} {{ 'aaa'.replace('a', 'b', 2) }}"),
            "y [p  ] [  p] TrueFalse ABab bba");
  EXPECT_EQ(
      render_text("{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}",
                  R"({"c": "<think>\nreason\n</think>\n\nanswer"})"),
      "reason");
  EXPECT_EQ(
      render_text("{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }} {{ d.keys() | list }} "
                  "{{ d.values() | list }}",
                  R"({"d": {"a": 1}})"),
      "1 None 0 ['a'] [1]");
  EXPECT_EQ(render_text("{{ 'abc'.nope() }}"),
            "ERROR: line 1, column 14: 'str object' has no attribute 'nope'");
}

TEST(ChatTemplateTest, RaiseExceptionGivesTheTemplatesMessage) {
  const auto parsed = ChatTemplate::parse(
      "{% if messages[0].role != 'user' %}{{ raise_exception('Start with a user message.') }}"
      "{% endif %}");
  ASSERT_TRUE(parsed.ok());
  const auto rendered = parsed->render(nlohmann::json::parse(kMessages));
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(rendered.status().message(), "Start with a user message.");
}

TEST(ChatTemplateTest, StrftimeNowFormatsTheGivenTime) {
  ChatTemplateRenderOptions options;
  options.now = std::chrono::system_clock::time_point(std::chrono::seconds(testing::kFixedNow));
  const auto parsed = ChatTemplate::parse("{{ strftime_now('%Y') }}");
  ASSERT_TRUE(parsed.ok());
  const auto rendered = parsed->render(nlohmann::json::object(), options);
  ASSERT_TRUE(rendered.ok()) << rendered.status().message();
  EXPECT_EQ(*rendered, "2024");
  const auto now = parsed->render(nlohmann::json::object());
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->size(), 4U);
}

TEST(ChatTemplateTest, LimitsTurnRunawayTemplatesIntoErrors) {
  ChatTemplateRenderOptions small;
  small.max_output_bytes = 100;
  EXPECT_EQ(render_text("{% for i in range(1000) %}xx{% endfor %}", "{}", {}, small),
            "ERROR: line 1, column 27: the output exceeds the limit of 100 bytes");
  EXPECT_EQ(render_text("{{ 'x' * 1000 }}", "{}", {}, small),
            "ERROR: line 1, column 8: a string of 1000 bytes exceeds the limit of 100 bytes");
  EXPECT_EQ(render_text("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}"),
            "ERROR: line 1, column 21: the template nests expressions, blocks and macro calls "
            "deeper than 256 levels");
  EXPECT_EQ(render_text("{% for i in range(1000000) %}{% endfor %}"),
            "ERROR: line 1, column 18: range() is limited to 100000 items");
  EXPECT_EQ(render_text("{% for i in range(400) %}{% for j in range(300) %}"
                        "{% set ns = namespace() %}{% endfor %}{% endfor %}"),
            "ERROR: line 1, column 72: the template made more than 100000 namespace() objects");
  ChatTemplateRenderOptions few_steps;
  few_steps.max_steps = 1000;
  EXPECT_EQ(
      render_text("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
                  "{}", {}, few_steps),
      "ERROR: line 1, column 27: the template took more than 1000 steps");
}

TEST(ChatTemplateTest, DeepDataAndExtremeNumbersAreErrorsNotCrashes) {
  EXPECT_EQ(render_text("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}"
                        "{% set ns.x = [ns.x] %}{% endfor %}"),
            "ERROR: line 1, column 71: values nest lists and dicts deeper than 512 levels");
  std::string deep;
  for (int i = 0; i < 2000; ++i) {
    deep = R"({"a": [)" + deep + "]}";
  }
  const auto parsed = ChatTemplate::parse("{{ x }}");
  ASSERT_TRUE(parsed.ok());
  const auto rendered = parsed->render(nlohmann::json::parse(R"({"x": )" + deep + "}"));
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().message(),
            "the template context nests lists and objects deeper than 512 levels");
  EXPECT_EQ(
      render_text("{{ [1, 2, 3][::9223372036854775807] }} {{ [1, 2, 3][::-9223372036854775807] }}"),
      "[1] [3]");
  EXPECT_EQ(render_text("{{ range(9223372036854775806, 9223372036854775807, 1000) | list }}"),
            "[9223372036854775806]");
  EXPECT_EQ(render_text("{{ 1e300 | int }}"), "ERROR: line 1, column 12: integer too large");
}

TEST(ChatTemplateTest, ContextMustBeAnObject) {
  const auto parsed = ChatTemplate::parse("x");
  ASSERT_TRUE(parsed.ok());
  const auto rendered = parsed->render(nlohmann::json::array());
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.status().message(), "the template context must be a JSON object");
}

TEST(ChatTemplateTest, RendersConcurrently) {
  const auto parsed = ChatTemplate::parse(
      testing::read_text_file(testing::chat_fixture_dir() / "qwen3-thinking.jinja"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const nlohmann::json context = nlohmann::json::parse(kMessages);
  const auto expected = parsed->render(context);
  ASSERT_TRUE(expected.ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto rendered = parsed->render(context);
        if (!rendered.ok() || *rendered != *expected) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(mismatches.load(), 0);
}

// --- the fixture templates, expected outputs written out --------------------------------------

std::string render_fixture(const std::string& file, const std::string& context) {
  return render_text(testing::read_text_file(testing::chat_fixture_dir() / file), context);
}

TEST(ChatTemplateFixtureTest, Llama2PutsTheSystemPromptInTheFirstTurn) {
  const char* const context = R"J({"bos_token": "<s>", "eos_token": "</s>", "messages": [
    {"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello."}, {"role": "user", "content": " Prime? "}]})J";
  EXPECT_EQ(
      render_fixture("llama2-chat.jinja", context),
      "<s>[INST] <<SYS>>\nBe terse.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Prime? [/INST]");
  EXPECT_EQ(render_fixture("llama2-chat.jinja",
                           R"({"bos_token": "<s>", "messages": [{"role": "user", "content": "a"},
                                            {"role": "user", "content": "b"}]})"),
            "ERROR: Conversation turns must go user, assistant, user, assistant, ...");
}

TEST(ChatTemplateFixtureTest, Llama31DatesTheSystemTurnAndFormatsToolCalls) {
  const char* const context = R"J({"bos_token": "<|begin_of_text|>", "add_generation_prompt": true,
    "messages": [{"role": "user", "content": "Weather?"},
                 {"role": "assistant", "content": "", "tool_calls": [
                   {"type": "function", "function": {"name": "w", "arguments": {"city": "Oslo"}}}]},
                 {"role": "tool", "content": "7C"}],
    "tools": [{"type": "function", "function": {"name": "w"}}]})J";
  EXPECT_EQ(
      render_fixture("llama3.1-tools.jinja", context),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
      "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
      "Answer the request below with a call to one of these functions, as JSON: "
      "{\"name\": <function name>, \"parameters\": <arguments by name>}.\n\n"
      "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"w\"\n    }\n}\n\n"
      "Weather?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
      "{\"name\": \"w\", \"parameters\": {\"city\": \"Oslo\"}}<|eot_id|>"
      "<|start_header_id|>ipython<|end_header_id|>\n\n\"7C\"<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplateFixtureTest, Qwen25GroupsToolResults) {
  const char* const context = R"J({"add_generation_prompt": true, "messages": [
    {"role": "user", "content": "Two cities?"},
    {"role": "assistant", "content": "", "tool_calls": [
      {"function": {"name": "w", "arguments": {"city": "A"}}},
      {"function": {"name": "w", "arguments": {"city": "B"}}}]},
    {"role": "tool", "content": "1"}, {"role": "tool", "content": "2"}]})J";
  EXPECT_EQ(
      render_fixture("qwen2.5-tools.jinja", context),
      "<|im_start|>system\nYou are a helpful assistant served by disaggd.<|im_end|>\n"
      "<|im_start|>user\nTwo cities?<|im_end|>\n<|im_start|>assistant\n"
      "<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"A\"}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"B\"}}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\n<tool_response>\n1\n</tool_response>\n<tool_response>\n2\n"
      "</tool_response><|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateFixtureTest, Qwen3KeepsReasoningOnlyAfterTheLastQuery) {
  const char* const context = R"J({"add_generation_prompt": true, "enable_thinking": false,
    "messages": [{"role": "user", "content": "2+2?"},
                 {"role": "assistant", "content": "<think>\nfour\n</think>\n\n4"},
                 {"role": "user", "content": "3+3?"},
                 {"role": "assistant", "content": "6", "reasoning_content": "six"}]})J";
  EXPECT_EQ(render_fixture("qwen3-thinking.jinja", context),
            "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
            "<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n<think>\nsix\n</think>\n\n6"
            "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

}  // namespace
}  // namespace disaggd::engine
