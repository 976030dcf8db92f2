// SseWriter: a text/event-stream response, one "data: <json>" event at a time.
#pragma once

#include <ostream>
#include <string_view>

#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

namespace disaggd::http {

/// Starts the response (200, chunked, no caching) on construction. Each send() writes and flushes
/// one event; a false return means the client is gone, and the caller should stop (and cancel
/// the work behind the stream). Not thread-safe: one handler thread writes.
class SseWriter {
 public:
  explicit SseWriter(Poco::Net::HTTPServerResponse& response);

  /// Sends `data: <payload>\n\n`.
  bool send(const nlohmann::json& payload);
  /// Sends `data: [DONE]\n\n`, the end of an OpenAI stream.
  bool send_done();

 private:
  bool write(std::string_view data);

  std::ostream* out_;
};

}  // namespace disaggd::http
