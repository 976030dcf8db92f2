// Bearer-token checks for the admin endpoint and internal endpoints.
#pragma once

#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace disaggd::http {

/// True when `request` carries "Authorization: Bearer <token>" with exactly `token`, compared in
/// constant time. Otherwise answers 401 with an OpenAI-style error and a WWW-Authenticate header
/// and returns false; the caller then returns without writing anything else.
bool require_bearer_token(const std::string& token, Poco::Net::HTTPServerRequest& request,
                          Poco::Net::HTTPServerResponse& response);

}  // namespace disaggd::http
