// Spellings of the config enums. The first spelling of a value is canonical; the others are
// accepted aliases (LMDeploy's capitalised role names and log levels among them). Matching is
// case-insensitive.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.h"

namespace disaggd::core {

template <class E>
using EnumNames = std::vector<std::pair<std::string_view, E>>;

const EnumNames<Role>& role_names();
const EnumNames<ServingStrategy>& serving_strategy_names();
const EnumNames<LogLevel>& log_level_names();

/// Canonical spelling of `value`.
template <class E>
std::string_view enum_name(const EnumNames<E>& names, E value) {
  for (const auto& [name, candidate] : names) {
    if (candidate == value) {
      return name;
    }
  }
  return "unknown";
}

/// True if `a` and `b` are equal ignoring ASCII case.
bool equals_ignoring_case(std::string_view a, std::string_view b);

/// The value spelled `text` (any accepted spelling, any case).
template <class E>
std::optional<E> parse_enum(const EnumNames<E>& names, std::string_view text) {
  for (const auto& [name, value] : names) {
    if (equals_ignoring_case(name, text)) {
      return value;
    }
  }
  return std::nullopt;
}

/// The canonical spellings, in order, without aliases.
template <class E>
std::vector<std::string_view> canonical_names(const EnumNames<E>& names) {
  std::vector<std::string_view> result;
  for (const auto& [name, value] : names) {
    if (enum_name(names, value) == name) {
      result.push_back(name);
    }
  }
  return result;
}

}  // namespace disaggd::core
