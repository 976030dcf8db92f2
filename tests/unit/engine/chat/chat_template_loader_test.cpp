// load_chat_template: chat_template.jinja, tokenizer_config.json's chat_template (a string, a list
// of named templates, an object), named templates, and the errors for broken folders.
#include "engine/chat/chat_template_loader.h"

#include <gtest/gtest.h>

#include <string>

#include "chat_test_support.h"
#include "support/temp_dir.h"

namespace disaggd::engine {
namespace {

using disaggd::testing::TempDir;

/// The output of the folder's template on an empty context, "none" or "ERROR: <message>".
std::string load_and_render(const TempDir& dir, std::string_view name = "default") {
  core::Result<std::optional<ChatTemplate>> loaded = load_chat_template(dir.path(), name);
  if (!loaded.ok()) {
    return "ERROR: " + loaded.status().message();
  }
  if (!loaded->has_value()) {
    return "none";
  }
  core::Result<std::string> rendered = (*loaded)->render(nlohmann::json::object());
  return rendered.ok() ? *rendered : "ERROR: " + rendered.status().message();
}

TEST(ChatTemplateLoaderTest, ReadsAStringFromTokenizerConfig) {
  TempDir dir;
  dir.write("tokenizer_config.json",
            R"({"chat_template": "{{ 'from config' }}", "eos_token": "x"})");
  EXPECT_EQ(load_and_render(dir), "from config");
}

TEST(ChatTemplateLoaderTest, PicksTheDefaultOfNamedTemplates) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": [
      {"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain"}]})");
  EXPECT_EQ(load_and_render(dir), "plain");
  EXPECT_EQ(load_and_render(dir, "tool_use"), "tools");
  EXPECT_EQ(load_and_render(dir, "rag"), "none");
}

TEST(ChatTemplateLoaderTest, AcceptsAnObjectOfNamedTemplates) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": {"default": "d", "other": "o"}})");
  EXPECT_EQ(load_and_render(dir), "d");
  EXPECT_EQ(load_and_render(dir, "other"), "o");
}

TEST(ChatTemplateLoaderTest, ChatTemplateJinjaWinsOverTheConfig) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": "from config"})");
  dir.write("chat_template.jinja", "{{ 'from file' }}\n");
  EXPECT_EQ(load_and_render(dir), "from file");
  dir.write("additional_chat_templates/tool_use.jinja", "extra");
  EXPECT_EQ(load_and_render(dir, "tool_use"), "extra");
}

TEST(ChatTemplateLoaderTest, NoTemplateIsNotAnError) {
  TempDir dir;
  EXPECT_EQ(load_and_render(dir), "none");
  dir.write("tokenizer_config.json", R"({"eos_token": "</s>"})");
  EXPECT_EQ(load_and_render(dir), "none");
  dir.write("tokenizer_config.json", R"({"chat_template": null})");
  EXPECT_EQ(load_and_render(dir), "none");
}

TEST(ChatTemplateLoaderTest, ErrorsNameTheFileKeyAndPosition) {
  TempDir dir;
  const std::string config = (dir.path() / "tokenizer_config.json").string();
  dir.write("tokenizer_config.json", R"({"chat_template": 42})");
  EXPECT_EQ(load_and_render(dir),
            "ERROR: " + config +
                ": chat_template: expected a string or a list of {\"name\", \"template\"} objects, "
                "got 42");
  dir.write("tokenizer_config.json", R"({"chat_template": [{"name": "x", "template": "y"}]})");
  EXPECT_EQ(load_and_render(dir),
            "ERROR: " + config + ": chat_template: no template named 'default' among 'x'");
  dir.write("tokenizer_config.json", R"({"chat_template": [{"name": 1}]})");
  EXPECT_EQ(load_and_render(dir),
            "ERROR: " + config +
                ": chat_template[0]: expected an object with string \"name\" and \"template\", got "
                "{\"name\":1}");
  dir.write("tokenizer_config.json", R"({"chat_template": "ok\n{% if x %}"})");
  EXPECT_EQ(load_and_render(dir),
            "ERROR: " + config +
                ": chat_template: line 2, column 1: '{% if %}' is never closed: expected "
                "'{% endif %}' before the end of the template");
  dir.write("tokenizer_config.json", "{not json");
  EXPECT_EQ(load_and_render(dir).rfind("ERROR: " + config + ": not valid JSON", 0), 0U);
  dir.write("chat_template.jinja", "{{ x | nosuch }}");
  EXPECT_EQ(load_and_render(dir), "ERROR: " + (dir.path() / "chat_template.jinja").string() +
                                      ": line 1, column 8: no filter named 'nosuch'");
}

TEST(ChatTemplateLoaderTest, MissingFolderIsNotFound) {
  const auto loaded = load_chat_template("/nonexistent/disaggd/model");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), core::StatusCode::kNotFound);
}

TEST(ChatTemplateLoaderTest, EveryFixtureTemplateLoads) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(testing::chat_fixture_dir())) {
    if (entry.path().extension() != ".jinja") {
      continue;
    }
    ++count;
    TempDir dir;
    const nlohmann::json config = {{"chat_template", testing::read_text_file(entry.path())}};
    dir.write("tokenizer_config.json", config.dump());
    const auto loaded = load_chat_template(dir.path());
    ASSERT_TRUE(loaded.ok()) << entry.path() << ": " << loaded.status().message();
    EXPECT_TRUE(loaded->has_value()) << entry.path();
  }
  EXPECT_GE(count, 5U);
}

}  // namespace
}  // namespace disaggd::engine
