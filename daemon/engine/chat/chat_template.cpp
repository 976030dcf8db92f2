// ChatTemplate: parse and render with errors as core::Status.
#include "engine/chat/chat_template.h"

#include <ctime>
#include <new>

#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_evaluator.h"
#include "engine/chat/jinja_parser.h"
#include "engine/chat/jinja_value.h"

namespace disaggd::engine {
namespace {

/// C's strftime of `when` in local time (what Python's datetime.now().strftime does).
std::string format_local_time(std::chrono::system_clock::time_point when, std::string_view format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm local{};
  localtime_r(&seconds, &local);
  const std::string pattern(format);
  for (std::size_t size = 256; size <= 65536; size *= 4) {
    std::string buffer(size, '\0');
// The format comes from the template, as in Python's strftime; strftime has no %n-style writes.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    const std::size_t written =
        std::strftime(buffer.data(), buffer.size(), pattern.c_str(), &local);
#pragma GCC diagnostic pop
    if (written > 0 || pattern.empty()) {
      buffer.resize(written);
      return buffer;
    }
  }
  return {};
}

core::Status to_status(const jinja::TemplateError& error, std::string_view source) {
  if (error.kind() == jinja::TemplateError::Kind::kRaised) {
    return core::Status(core::StatusCode::kInvalidArgument, error.what());
  }
  std::string message = error.what();
  if (error.offset()) {
    message = jinja::describe_position(source, *error.offset()) + ": " + message;
  }
  return core::Status(core::StatusCode::kInvalidArgument, message);
}

}  // namespace

ChatTemplate::ChatTemplate(std::shared_ptr<const jinja::Template> parsed)
    : template_(std::move(parsed)) {}

core::Result<ChatTemplate> ChatTemplate::parse(std::string_view source,
                                               const ChatTemplateSyntax& syntax) {
  jinja::LexerOptions options;
  options.trim_blocks = syntax.trim_blocks;
  options.lstrip_blocks = syntax.lstrip_blocks;
  try {
    return ChatTemplate(
        std::make_shared<const jinja::Template>(jinja::parse_template(source, options)));
  } catch (const jinja::TemplateError& e) {
    return to_status(e, jinja::normalize_source(source));
  } catch (const std::bad_alloc&) {
    return core::Status(core::StatusCode::kOutOfMemory, "out of memory parsing the chat template");
  }
}

core::Result<std::string> ChatTemplate::render(const nlohmann::json& context,
                                               const ChatTemplateRenderOptions& options) const {
  // Converting copies recursively: refuse data too deep for that first.
  if (jinja::json_deeper_than(context, jinja::kMaxValueDepth)) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "the template context nests lists and objects deeper than " +
                            std::to_string(jinja::kMaxValueDepth) + " levels");
  }
  return render_ordered(nlohmann::ordered_json(context), options);
}

core::Result<std::string> ChatTemplate::render_ordered(
    const nlohmann::ordered_json& context, const ChatTemplateRenderOptions& options) const {
  jinja::RenderSettings settings;
  settings.limits.max_bytes = options.max_output_bytes;
  settings.max_output_bytes = options.max_output_bytes;
  settings.max_depth = options.max_depth;
  settings.max_steps = options.max_steps;
  const std::optional<std::chrono::system_clock::time_point> fixed = options.now;
  settings.strftime_now = [fixed](std::string_view format) {
    return format_local_time(fixed.value_or(std::chrono::system_clock::now()), format);
  };
  try {
    return jinja::render_template(*template_, context, settings);
  } catch (const jinja::TemplateError& e) {
    return to_status(e, template_->source);
  } catch (const std::bad_alloc&) {
    return core::Status(core::StatusCode::kOutOfMemory,
                        "out of memory rendering the chat template");
  } catch (const std::exception& e) {
    return core::Status(core::StatusCode::kInternal,
                        std::string("rendering the chat template failed: ") + e.what());
  }
}

const std::string& ChatTemplate::source() const {
  return template_->source;
}

}  // namespace disaggd::engine
