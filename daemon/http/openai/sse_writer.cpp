// Server-sent events over Poco's chunked response stream.
#include "http/openai/sse_writer.h"

#include <string>

namespace disaggd::http {

SseWriter::SseWriter(Poco::Net::HTTPServerResponse& response) {
  response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
  response.setContentType("text/event-stream");
  response.set("Cache-Control", "no-cache");
  response.setChunkedTransferEncoding(true);
  out_ = &response.send();
}

bool SseWriter::write(std::string_view data) {
  if (!*out_) {
    return false;
  }
  try {
    out_->write(data.data(), static_cast<std::streamsize>(data.size()));
    out_->flush();
  } catch (...) {  // Poco reports a reset connection as an exception from the socket stream
    return false;
  }
  return static_cast<bool>(*out_);
}

bool SseWriter::send(const nlohmann::json& payload) {
  return write("data: " + payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               "\n\n");
}

bool SseWriter::send_done() {
  return write("data: [DONE]\n\n");
}

}  // namespace disaggd::http
