// TemplateError: how the chat template interpreter reports a failure internally. It is thrown
// only inside this folder's .cpp files; ChatTemplate turns it into a core::Status at its API.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace disaggd::engine::jinja {

/// A failure while parsing or rendering a template, with the source offset it concerns.
class TemplateError : public std::runtime_error {
 public:
  enum class Kind {
    kSyntax,  ///< The template text is not valid (or uses what is not supported).
    kRender,  ///< Rendering failed: a type error, an undefined value used wrongly, ...
    kRaised,  ///< The template called raise_exception(message): the message is for the user.
    kLimit,   ///< A limit (output size, nesting depth, steps) was exceeded.
  };

  TemplateError(Kind kind, const std::string& message, std::optional<std::size_t> offset = {})
      : std::runtime_error(message), kind_(kind), offset_(offset) {}

  Kind kind() const { return kind_; }
  /// Byte offset in the (normalized) template source, when known.
  std::optional<std::size_t> offset() const { return offset_; }
  /// Sets the offset if none is set yet (the innermost position wins).
  void locate(std::size_t offset) {
    if (!offset_) {
      offset_ = offset;
    }
  }

 private:
  Kind kind_;
  std::optional<std::size_t> offset_;
};

/// Throws a kRender TemplateError with `message` and no position.
[[noreturn]] inline void render_error(const std::string& message) {
  throw TemplateError(TemplateError::Kind::kRender, message);
}

/// "line L, column C" (both 1-based, the column counted in code points) of `offset` in `source`.
std::string describe_position(std::string_view source, std::size_t offset);

}  // namespace disaggd::engine::jinja
