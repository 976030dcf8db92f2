// Binding call arguments to parameter names the way Python does, for builtin functions, methods,
// filters and tests.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/jinja_value.h"

namespace disaggd::engine::jinja {

/// The arguments of one builtin call, bound to its parameters.
class BoundArgs {
 public:
  /// Binds `args` to `params` (positional first, then by keyword). The first `required`
  /// parameters must be given. Throws a render error naming `function` for too many arguments,
  /// unknown or repeated keywords and missing ones.
  BoundArgs(std::string_view function, CallArgs& args,
            std::initializer_list<std::string_view> params, std::size_t required);

  /// Whether parameter `i` was given.
  bool has(std::size_t i) const { return given_[i]; }
  /// Parameter `i` (undefined when not given).
  const Value& get(std::size_t i) const { return values_[i]; }
  /// Parameter `i`, or `fallback` when not given.
  Value get_or(std::size_t i, Value fallback) const { return given_[i] ? values_[i] : fallback; }

 private:
  std::vector<Value> values_;
  std::vector<bool> given_;
};

}  // namespace disaggd::engine::jinja
