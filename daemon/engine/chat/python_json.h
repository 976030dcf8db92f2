// Python's json.dumps() for template values: what transformers' `tojson` filter prints (its own
// filter, not Jinja's HTML-escaping one), byte for byte: ", " and ": " separators, no HTML
// escaping, non-ASCII kept unless ensure_ascii, Python's float text.
#pragma once

#include <optional>
#include <string>

#include "engine/chat/jinja_ast.h"

namespace disaggd::engine::jinja {

/// The arguments of json.dumps() that the tojson filter passes on.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  /// Unset: one line. Set: a newline before each item, indented by this text per level.
  std::optional<std::string> indent;
  /// Unset: ", " without indent, "," with indent (Python's defaults).
  std::optional<std::string> item_separator;
  std::string key_separator = ": ";
  bool sort_keys = false;
};

/// json.dumps(value, ...) as Python writes it.
std::string py_json_dumps(const Json& value, const JsonDumpOptions& options);

}  // namespace disaggd::engine::jinja
