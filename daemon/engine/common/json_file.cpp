// Reading JSON files with errors that name the file.
#include "engine/common/json_file.h"

#include <fstream>
#include <sstream>
#include <system_error>

namespace disaggd::engine {

using core::Result;
using core::Status;
using core::StatusCode;
using nlohmann::json;

Result<json> read_json_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status(StatusCode::kNotFound, path.string() + ": no such file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    return Status(StatusCode::kInvalidArgument, path.string() + ": cannot be read");
  }
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    return Status(StatusCode::kInvalidArgument,
                  path.string() + ": not valid JSON: " + std::string(e.what()));
  }
}

Result<json> read_json_object(const std::filesystem::path& path) {
  Result<json> value = read_json_file(path);
  if (value.ok() && !value->is_object()) {
    return Status(StatusCode::kInvalidArgument,
                  path.string() + ": expected a JSON object, got " + json_excerpt(*value));
  }
  return value;
}

std::string json_excerpt(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) {
    text = text.substr(0, 57) + "...";
  }
  return text;
}

}  // namespace disaggd::engine
