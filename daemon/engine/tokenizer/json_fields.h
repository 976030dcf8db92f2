// Small helpers the tokenizer.json and tokenizer_config.json readers share: errors of the two
// kinds they report, and reading an optional boolean field.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace disaggd::engine::json_fields {

/// kInvalidArgument with `what`.
inline core::Status invalid(const std::string& what) {
  return core::Status(core::StatusCode::kInvalidArgument, what);
}

/// kUnsupported with `what`.
inline core::Status unsupported(const std::string& what) {
  return core::Status(core::StatusCode::kUnsupported, what);
}

/// object[key] when it is a boolean, else `fallback`.
inline bool flag(const nlohmann::json& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace disaggd::engine::json_fields
