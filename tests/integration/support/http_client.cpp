// Poco's HTTPClientSession behind one call.
#include "integration/support/http_client.h"

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
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

void send_raw_post(Poco::Net::StreamSocket& socket, const std::string& path,
                   const std::string& body) {
  const std::string request = "POST " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
}

HttpReply post_headers_only(int port, const std::string& path, std::size_t content_length) {
  Poco::Net::StreamSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  const std::string headers = "POST " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/json\r\nContent-Length: " +
                              std::to_string(content_length) + "\r\n\r\n";
  socket.sendBytes(headers.data(), static_cast<int>(headers.size()));
  std::string answer;
  char buffer[4096];
  int n = 0;
  while (answer.find("}}") == std::string::npos &&
         (n = socket.receiveBytes(buffer, sizeof buffer)) > 0) {
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  HttpReply reply;
  const std::size_t body = answer.find("\r\n\r\n");
  if (answer.size() < 12 || body == std::string::npos) {
    reply.body = answer;
    return reply;
  }
  reply.status = std::stoi(answer.substr(9, 3));
  reply.body = answer.substr(body + 4);
  return reply;
}

double metric_value(const std::string& body, const std::string& series, double absent) {
  const std::size_t at = body.find("\n" + series + " ");
  return at == std::string::npos ? absent : std::stod(body.substr(at + series.size() + 2));
}

}  // namespace disaggd::testing
