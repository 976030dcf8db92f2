// Poco's HTTPClientSession behind one call.
#include "integration/support/http_client.h"

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace disaggd::testing {

HttpReply http_call(int port, const std::string& method, const std::string& path,
                    const std::string& body, const HttpHeaders& headers, int timeout_s) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(timeout_s, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  if (!body.empty()) {
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  HttpReply reply;
  reply.status = static_cast<int>(response.getStatus());
  reply.request_id = response.get("X-Request-Id", "");
  reply.content_type = response.getContentType();
  std::ostringstream text;
  Poco::StreamCopier::copyStream(in, text);
  reply.body = text.str();
  return reply;
}

HttpReply http_get(int port, const std::string& path, const std::string& authorization,
                   const std::string& request_id) {
  HttpHeaders headers;
  if (!authorization.empty()) {
    headers.emplace_back("Authorization", authorization);
  }
  if (!request_id.empty()) {
    headers.emplace_back("X-Request-Id", request_id);
  }
  return http_call(port, "GET", path, "", headers, 5);
}

}  // namespace disaggd::testing
