// A blocking HTTP/1.1 client for integration tests (Poco), one request per connection.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace disaggd::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string request_id;  ///< X-Request-Id of the response.
  std::string content_type;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// Sends `method path` with `body` (Content-Type application/json when not empty) to
/// 127.0.0.1:`port` and reads the whole response (a stream until the server ends it). Times out
/// after `timeout_s` seconds of silence.
HttpReply http_call(int port, const std::string& method, const std::string& path,
                    const std::string& body = "", const HttpHeaders& headers = {},
                    int timeout_s = 60);

/// GET with an optional Authorization header and X-Request-Id.
HttpReply http_get(int port, const std::string& path, const std::string& authorization = "",
                   const std::string& request_id = "");

}  // namespace disaggd::testing
