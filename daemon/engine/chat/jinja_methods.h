// Methods of strings (`text.split(...)`, `text.startswith(...)`, ...) and dicts (`d.get(...)`,
// `d.items()`), and the builtin global functions range(), namespace() and dict().
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat/jinja_value.h"

namespace disaggd::engine::jinja {

/// The method `name` of `receiver` (a string or a dict) bound to it, or nullopt when it has none.
std::optional<Value> find_method(const Value& receiver, const std::string& name,
                                 const Limits& limits);

/// The builtin global functions every template sees: range, namespace, dict.
std::vector<std::pair<std::string, Value>> builtin_globals(const Limits& limits);

}  // namespace disaggd::engine::jinja
