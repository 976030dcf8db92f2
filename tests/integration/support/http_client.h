// A blocking HTTP/1.1 client for integration tests (Poco), one request per connection.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/StreamSocket.h>

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

/// Writes a JSON POST of `body` to `path` on an already connected raw socket, for tests that
/// read the answer byte by byte or close the connection mid-answer.
void send_raw_post(Poco::Net::StreamSocket& socket, const std::string& path,
                   const std::string& body);

/// Sends only the headers of a POST to `path` announcing a body of `content_length` bytes, and
/// reads the answer the server gives without waiting for the body (status and body; status 0
/// when no whole answer came).
HttpReply post_headers_only(int port, const std::string& path, std::size_t content_length);

/// The value of `series` (name and labels, e.g. `disaggd_kv_blocks{state="used"}`) in a
/// Prometheus text body; `absent` when the body has no such series.
double metric_value(const std::string& body, const std::string& series, double absent = -1.0);

}  // namespace disaggd::testing
