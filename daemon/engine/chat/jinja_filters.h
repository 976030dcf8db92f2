// Jinja's filters (`value | name(args)`), with transformers' `tojson` (Python's json.dumps with
// ensure_ascii=False, no HTML escaping) in place of Jinja's own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/jinja_value.h"

namespace disaggd::engine::jinja {

/// Whether `name` is a filter this interpreter knows (checked when a template is parsed).
bool is_filter_name(std::string_view name);

/// The names of all filters, sorted (for documentation and messages).
std::vector<std::string> filter_names();

/// `value | name(args...)`. Throws a render error for bad values or arguments.
Value apply_filter(const std::string& name, const Value& value, CallArgs& args,
                   const Limits& limits);

}  // namespace disaggd::engine::jinja
