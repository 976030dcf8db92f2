// Positions for template error messages.
#include "engine/chat/jinja_error.h"

#include <algorithm>

#include "engine/chat/python_text.h"

namespace disaggd::engine::jinja {

std::string describe_position(std::string_view source, std::size_t offset) {
  offset = std::min(offset, source.size());
  const std::string_view before = source.substr(0, offset);
  const std::size_t line = static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start =
      before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  const std::size_t column = code_point_count(before.substr(line_start));
  return "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1);
}

}  // namespace disaggd::engine::jinja
