// post_json: one JSON POST to another disaggd process (registration with the proxy).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace disaggd::http {

/// Extra request headers, name and value.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// POSTs `body` to `url` (http://host:port/path) with `headers` and returns the response's JSON
/// body when the status is 2xx; otherwise an error with the status and the response text, or the
/// connection error. Waits at most `timeout` for each network operation.
core::Result<nlohmann::json> post_json(const std::string& url, const nlohmann::json& body,
                                       std::chrono::milliseconds timeout,
                                       const HeaderList& headers = {});

/// The cluster token header when `cluster_token` is set; nothing otherwise.
HeaderList cluster_headers(const std::string& cluster_token);

}  // namespace disaggd::http
