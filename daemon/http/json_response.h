// JSON responses, including the OpenAI-style error object every 4xx/5xx answer carries.
#pragma once

#include <string>

#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

namespace disaggd::http {

/// Sends `body` as application/json with `status`.
void send_json(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const nlohmann::json& body);

/// Sends {"error": {"message", "type", "param", "code"}} with `status`. `param` and `code` are
/// null in the body when empty.
void send_error(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
                const std::string& message, const std::string& type, const std::string& param = "",
                const std::string& code = "");

}  // namespace disaggd::http
