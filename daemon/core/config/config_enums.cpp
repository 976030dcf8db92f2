// Spellings of the config enums.
#include "core/config/config_enums.h"

namespace disaggd::core {

const EnumNames<Role>& role_names() {
  static const EnumNames<Role> names = {
      {"proxy", Role::kProxy},
      {"prefill", Role::kPrefill},
      {"decode", Role::kDecode},
      {"hybrid", Role::kHybrid},
  };
  return names;
}

const EnumNames<ServingStrategy>& serving_strategy_names() {
  static const EnumNames<ServingStrategy> names = {
      {"Hybrid", ServingStrategy::kHybrid},
      {"DistServe", ServingStrategy::kDistServe},
  };
  return names;
}

const EnumNames<LogLevel>& log_level_names() {
  static const EnumNames<LogLevel> names = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug},  {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError},  {"critical", LogLevel::kCritical},
      {"off", LogLevel::kOff},     {"warning", LogLevel::kWarn}, {"fatal", LogLevel::kCritical},
  };
  return names;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace disaggd::core
