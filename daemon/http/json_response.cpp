// JSON responses.
#include "http/json_response.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>

namespace disaggd::http {

void send_json(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const nlohmann::json& body) {
  // Invalid UTF-8 in a string becomes U+FFFD rather than an exception.
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.setStatusAndReason(status);
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  response.sendBuffer(text.data(), text.size());
}

nlohmann::json error_body(const std::string& message, const std::string& type,
                          const std::string& param, const std::string& code) {
  nlohmann::json error = {{"message", message},
                          {"type", type},
                          {"param", param.empty() ? nlohmann::json() : nlohmann::json(param)},
                          {"code", code.empty() ? nlohmann::json() : nlohmann::json(code)}};
  return nlohmann::json{{"error", std::move(error)}};
}

void send_error(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
                const std::string& message, const std::string& type, const std::string& param,
                const std::string& code) {
  send_json(response, status, error_body(message, type, param, code));
}

void abort_connection(Poco::Net::HTTPServerRequest& request) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr) {
    return;
  }
  try {
    impl->session().setKeepAlive(false);
    impl->socket().shutdown();
  } catch (const std::exception&) {
    // Already closed by the peer: nothing left to end.
  }
}

}  // namespace disaggd::http
