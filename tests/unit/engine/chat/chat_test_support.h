// Shared helpers of the chat template tests: rendering with errors as text, fixture paths, and
// the Python jinja2 oracle (jinja_oracle.py, run with Debian's python3).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/chat_template.h"
#include "support/temp_dir.h"

namespace disaggd::engine::testing {

/// The time strftime_now() sees in tests: 2024-07-26 12:00:00 UTC (as local time on both sides).
inline constexpr std::int64_t kFixedNow = 1721995200;

inline ChatTemplateRenderOptions fixed_time_options() {
  ChatTemplateRenderOptions options;
  options.now = std::chrono::system_clock::time_point(std::chrono::seconds(kFixedNow));
  return options;
}

inline std::filesystem::path chat_fixture_dir() {
  return std::filesystem::path(DISAGGD_TEST_SOURCE_DIR) / "tests" / "fixtures" / "chat_templates";
}

inline std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

/// The output of rendering `source` with `context` (JSON text), or "ERROR: <message>" when
/// parsing or rendering fails.
inline std::string render_text(std::string_view source, std::string_view context = "{}",
                               const ChatTemplateSyntax& syntax = {},
                               ChatTemplateRenderOptions options = fixed_time_options()) {
  core::Result<ChatTemplate> parsed = ChatTemplate::parse(source, syntax);
  if (!parsed.ok()) {
    return "ERROR: " + parsed.status().message();
  }
  core::Result<std::string> rendered =
      parsed->render_ordered(nlohmann::ordered_json::parse(context), options);
  if (!rendered.ok()) {
    return "ERROR: " + rendered.status().message();
  }
  return *rendered;
}

/// One template and context for the oracle.
struct OracleCase {
  std::string name;
  std::string source;
  nlohmann::ordered_json context;
  ChatTemplateSyntax syntax;
};

/// What the oracle made of a case.
struct OracleResult {
  bool ok = false;
  std::string output;   ///< When ok.
  std::string error;    ///< When not ok.
  bool raised = false;  ///< The error came from raise_exception(message).
};

inline std::filesystem::path oracle_script() {
  return std::filesystem::path(DISAGGD_TEST_SOURCE_DIR) / "tests" / "unit" / "engine" / "chat" /
         "jinja_oracle.py";
}

/// Whether Debian's python3 can import jinja2 (python3-jinja2).
inline bool oracle_available() {
  const std::string command = std::string(DISAGGD_TEST_PYTHON) + " -c 'import jinja2' 2>/dev/null";
  return std::system(command.c_str()) == 0;
}

/// Renders every case with Python's jinja2; an empty vector when the oracle fails.
inline std::vector<OracleResult> run_oracle(const std::vector<OracleCase>& cases) {
  disaggd::testing::TempDir dir;
  nlohmann::ordered_json input = nlohmann::ordered_json::array();
  for (const OracleCase& c : cases) {
    input.push_back({{"template", c.source},
                     {"context", c.context},
                     {"now", kFixedNow},
                     {"trim_blocks", c.syntax.trim_blocks},
                     {"lstrip_blocks", c.syntax.lstrip_blocks}});
  }
  const std::filesystem::path cases_file = dir.write("cases.json", input.dump());
  const std::filesystem::path results_file = dir.path() / "results.json";
  const std::string command = std::string(DISAGGD_TEST_PYTHON) + " '" + oracle_script().string() +
                              "' '" + cases_file.string() + "' > '" + results_file.string() + "'";
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "the oracle failed: " << command;
    return {};
  }
  const nlohmann::json results = nlohmann::json::parse(read_text_file(results_file));
  std::vector<OracleResult> out;
  for (const nlohmann::json& r : results) {
    OracleResult result;
    if (r.contains("output")) {
      result.ok = true;
      result.output = r["output"].get<std::string>();
    } else {
      result.error = r["error"].get<std::string>();
      result.raised = r["raised"].get<bool>();
    }
    out.push_back(std::move(result));
  }
  return out;
}

/// Renders every case with ChatTemplate and with the oracle and expects the same bytes (or, when
/// the oracle fails, a failure too; raise_exception messages must be equal).
inline void expect_matches_oracle(const std::vector<OracleCase>& cases) {
  const std::vector<OracleResult> expected = run_oracle(cases);
  ASSERT_EQ(expected.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const OracleCase& c = cases[i];
    SCOPED_TRACE("case " + c.name + "\ntemplate:\n" + c.source);
    std::string ours;
    bool ok = false;
    core::Result<ChatTemplate> parsed = ChatTemplate::parse(c.source, c.syntax);
    if (!parsed.ok()) {
      ours = parsed.status().message();
    } else {
      core::Result<std::string> rendered = parsed->render_ordered(c.context, fixed_time_options());
      ok = rendered.ok();
      ours = ok ? *rendered : rendered.status().message();
    }
    if (expected[i].ok) {
      EXPECT_TRUE(ok) << "jinja2 rendered it, we failed: " << ours;
      EXPECT_EQ(ours, expected[i].output);
    } else {
      EXPECT_FALSE(ok) << "jinja2 failed (" << expected[i].error << "), we rendered:\n" << ours;
      if (expected[i].raised) {
        EXPECT_EQ(ours, expected[i].error);
      }
    }
  }
}

}  // namespace disaggd::engine::testing
