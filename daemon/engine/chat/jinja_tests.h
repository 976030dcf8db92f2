// Jinja's tests (`value is defined`, `value is string`, `value is divisibleby 3`, ...).
#pragma once

#include <string>
#include <string_view>

#include "engine/chat/jinja_value.h"

namespace disaggd::engine::jinja {

/// Whether `name` is a test this interpreter knows (checked when a template is parsed).
bool is_test_name(std::string_view name);

/// `value is name(args...)`. Throws a render error for bad arguments.
bool apply_test(const std::string& name, const Value& value, CallArgs& args);

}  // namespace disaggd::engine::jinja
