// Helpers for the JSON files of a model folder: reading one object, quoting values in messages.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"

namespace disaggd::engine {

/// Reads `path` as one JSON object. kNotFound when the file does not exist; kInvalidArgument
/// naming the file when it cannot be read, is not JSON or is not an object.
core::Result<nlohmann::json> read_json_object(const std::filesystem::path& path);

/// `value` as compact JSON, cut to about 60 characters, for error messages.
std::string json_excerpt(const nlohmann::json& value);

}  // namespace disaggd::engine
