// Bearer-token checks.
#include "http/bearer_auth.h"

#include <algorithm>

#include "core/config/secret.h"
#include "http/json_response.h"

namespace disaggd::http {

bool require_bearer_token(const std::string& token, Poco::Net::HTTPServerRequest& request,
                          Poco::Net::HTTPServerResponse& response) {
  return require_any_bearer_token({token}, request, response);
}

bool require_any_bearer_token(const std::vector<std::string>& tokens,
                              Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response) {
  if (tokens.empty()) {
    return true;
  }
  static const std::string kScheme = "Bearer ";
  // A copy: get() returns a reference, to the temporary default when the header is absent.
  const std::string header = request.get("Authorization", "");
  const bool well_formed = header.size() > kScheme.size() && header.starts_with(kScheme);
  if (well_formed) {
    const std::string candidate = header.substr(kScheme.size());
    bool match = false;
    for (const std::string& token : tokens) {  // no early exit: time does not tell which
      match = core::secret_equals(token, candidate) || match;
    }
    if (match) {
      return true;
    }
  }
  response.set("WWW-Authenticate", "Bearer");
  send_error(response, Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED,
             well_formed ? "invalid bearer token"
                         : "this endpoint requires an Authorization: Bearer <token> header",
             "authentication_error", "", "invalid_api_key");
  return false;
}

bool require_cluster_token(const std::string& token, const Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) {
  if (token.empty()) {
    return true;
  }
  // A copy: get() returns a reference, to the temporary default when the header is absent.
  const std::string presented = request.get(kClusterTokenHeader, "");
  if (!presented.empty() && core::secret_equals(token, presented)) {
    return true;
  }
  send_error(response, Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED,
             presented.empty() ? std::string("this endpoint requires the cluster token in the ") +
                                     kClusterTokenHeader + " header (server.cluster_token)"
                               : std::string("wrong cluster token in ") + kClusterTokenHeader,
             "authentication_error", "", "invalid_cluster_token");
  return false;
}

std::vector<std::string> split_keys(const std::string& text) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::size_t first = text.find_first_not_of(" \t\n", start);
    if (first != std::string::npos && first < end) {
      const std::size_t last = text.find_last_not_of(" \t\n", end - 1);
      keys.push_back(text.substr(first, last - first + 1));
    }
    start = end + 1;
  }
  return keys;
}

}  // namespace disaggd::http
