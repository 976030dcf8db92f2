// A blocking JSON POST with Poco.
#include "http/http_client.h"

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "http/bearer_auth.h"

namespace disaggd::http {

HeaderList cluster_headers(const std::string& cluster_token) {
  if (cluster_token.empty()) {
    return {};
  }
  return {{kClusterTokenHeader, cluster_token}};
}

core::Result<nlohmann::json> post_json(const std::string& url, const nlohmann::json& body,
                                       std::chrono::milliseconds timeout,
                                       const HeaderList& headers) {
  try {
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count() / 1000),
                                      static_cast<long>((timeout.count() % 1000) * 1000)));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    const std::string text = body.dump();
    for (const auto& [name, value] : headers) {
      request.set(name, value);
    }
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(text.size()));
    session.sendRequest(request) << text;
    Poco::Net::HTTPResponse response;
    std::ostringstream answer;
    Poco::StreamCopier::copyStream(session.receiveResponse(response), answer);
    const int status = static_cast<int>(response.getStatus());
    if (status < 200 || status >= 300) {
      return core::Status(core::StatusCode::kUnavailable,
                          url + " answered " + std::to_string(status) + ": " + answer.str());
    }
    nlohmann::json parsed = nlohmann::json::parse(answer.str(), nullptr, false);
    return parsed.is_discarded() ? nlohmann::json() : parsed;
  } catch (const std::exception& e) {
    return core::Status(core::StatusCode::kUnavailable, url + ": " + e.what());
  }
}

}  // namespace disaggd::http
