// ChatTemplate: a model's chat template (the Jinja2 template in a Hugging Face model folder) turned
// into the prompt text for a conversation. A subset of Jinja2, large enough for the Llama 2,
// Llama 3.x, Qwen2/2.5 and Qwen3 templates; docs/chat-templates.md lists what is supported.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace disaggd::engine {

namespace jinja {
struct Template;
}  // namespace jinja

/// How a template's text is split into tags (Jinja's environment options). The defaults are
/// what transformers uses: trim_blocks and lstrip_blocks on.
struct ChatTemplateSyntax {
  bool trim_blocks = true;    ///< Drop the first newline after a `{% %}` or `{# #}` tag.
  bool lstrip_blocks = true;  ///< Drop spaces and tabs before a `{% %}` or `{# #}` tag on its line.
};

/// Limits and clock of one render. Templates come from model files: every limit turns a runaway
/// template into an error instead of exhausting memory, stack or time.
struct ChatTemplateRenderOptions {
  std::size_t max_output_bytes = std::size_t{1} << 20;  ///< Longest output (1 MiB).
  int max_depth = 256;  ///< Deepest nesting of expressions, blocks and macro calls.
  std::uint64_t max_steps = 10'000'000;  ///< Most expressions and statements evaluated.
  /// The time that strftime_now() formats, in local time; unset: the current time.
  std::optional<std::chrono::system_clock::time_point> now;
};

/// A parsed chat template. Copies share the parsed tree; render() is const and may run on many
/// threads at once.
class ChatTemplate {
 public:
  /// Parses a template. Errors (kInvalidArgument) read "line L, column C: what is wrong";
  /// unknown tags, filters and tests are errors here.
  static core::Result<ChatTemplate> parse(std::string_view source,
                                          const ChatTemplateSyntax& syntax = {});

  /// Renders with the variables of `context`, a JSON object: usually `messages` (a list of
  /// {"role", "content", ...}), `add_generation_prompt`, `bos_token`, `eos_token`, `tools` and
  /// template-specific keys such as `enable_thinking`. A missing key is Jinja's Undefined.
  /// nlohmann::json sorts object keys, so `tojson` prints them sorted; use render_ordered() to
  /// keep the order of the request. Errors (kInvalidArgument): "line L, column C: what failed",
  /// or exactly the message of the template's raise_exception(message).
  core::Result<std::string> render(const nlohmann::json& context,
                                   const ChatTemplateRenderOptions& options = {}) const;

  /// render() with a context whose objects keep their key order (as Python's dicts do).
  core::Result<std::string> render_ordered(const nlohmann::ordered_json& context,
                                           const ChatTemplateRenderOptions& options = {}) const;

  /// The template text after Jinja's newline normalization (what error positions refer to).
  const std::string& source() const;

 private:
  explicit ChatTemplate(std::shared_ptr<const jinja::Template> parsed);

  std::shared_ptr<const jinja::Template> template_;
};

}  // namespace disaggd::engine
