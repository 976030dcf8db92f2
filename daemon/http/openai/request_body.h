// Reading a request's JSON body with a size limit, as OpenAI-style errors.
#pragma once

#include <cstddef>
#include <variant>

#include <Poco/Net/HTTPServerRequest.h>
#include <nlohmann/json.hpp>

#include "http/openai/api_error.h"

namespace disaggd::http {

/// The body parsed as JSON: 413 when it is longer than `max_bytes` (by Content-Length or as
/// read), 400 when it is not JSON (including invalid UTF-8 in strings) or not an object. The
/// Content-Type is not checked: `curl -d` sends JSON as application/x-www-form-urlencoded.
std::variant<nlohmann::json, ApiError> read_json_body(Poco::Net::HTTPServerRequest& request,
                                                      std::size_t max_bytes);

}  // namespace disaggd::http
