// post_json: one JSON POST to another disaggd process (registration with the proxy).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace disaggd::http {

/// POSTs `body` to `url` (http://host:port/path) and returns the response's JSON body when the
/// status is 2xx; otherwise an error with the status and the response text, or the connection
/// error. Waits at most `timeout` for each network operation.
core::Result<nlohmann::json> post_json(const std::string& url, const nlohmann::json& body,
                                       std::chrono::milliseconds timeout);

}  // namespace disaggd::http
