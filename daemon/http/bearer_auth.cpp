// Bearer-token checks.
#include "http/bearer_auth.h"

#include "core/config/secret.h"
#include "http/json_response.h"

namespace disaggd::http {

bool require_bearer_token(const std::string& token, Poco::Net::HTTPServerRequest& request,
                          Poco::Net::HTTPServerResponse& response) {
  static const std::string kScheme = "Bearer ";
  // A copy: get() returns a reference, to the temporary default when the header is absent.
  const std::string header = request.get("Authorization", "");
  const bool well_formed = header.size() > kScheme.size() && header.starts_with(kScheme);
  if (well_formed && core::secret_equals(token, header.substr(kScheme.size()))) {
    return true;
  }
  response.set("WWW-Authenticate", "Bearer");
  send_error(response, Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED,
             well_formed ? "invalid bearer token"
                         : "this endpoint requires an Authorization: Bearer <token> header",
             "authentication_error", "", "invalid_api_key");
  return false;
}

}  // namespace disaggd::http
