// Reading the JSON files of a model folder (config.json, tokenizer.json, ...) with errors that
// name the file: the one place where engine code lets nlohmann::json parse (and throw).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace disaggd::engine {

/// Parses the JSON file at `path`: kNotFound ("<path>: no such file") when it does not exist,
/// kInvalidArgument naming the file when it cannot be read or is not JSON (with nlohmann's line
/// and column).
core::Result<nlohmann::json> read_json_file(const std::filesystem::path& path);

/// read_json_file() that also requires a JSON object.
core::Result<nlohmann::json> read_json_object(const std::filesystem::path& path);

/// `value` as compact JSON, cut to about 60 characters, for error messages.
std::string json_excerpt(const nlohmann::json& value);

}  // namespace disaggd::engine
