// The chat template evaluator: runs a parsed template against a context and returns the text.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_value.h"

namespace disaggd::engine::jinja {

/// Limits and host functions of one render.
struct RenderSettings {
  Limits limits;  ///< Longest string and list any operation may build.
  std::size_t max_output_bytes = std::size_t{1} << 20;  ///< Longest output (and macro output).
  int max_depth = 256;  ///< Deepest nesting of expressions, blocks and macro calls.
  std::uint64_t max_steps = 10'000'000;  ///< Most expressions and statements evaluated.
  /// strftime_now(format): the current local time formatted with C's strftime.
  std::function<std::string(std::string_view format)> strftime_now;
};

/// Renders `tmpl` with the variables of `context` (a JSON object; it must outlive the call).
/// Throws TemplateError (kRender, kRaised or kLimit) with the offset of the failing node.
std::string render_template(const Template& tmpl, const Json& context,
                            const RenderSettings& settings);

}  // namespace disaggd::engine::jinja
