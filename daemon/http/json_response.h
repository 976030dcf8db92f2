// JSON responses, including the OpenAI-style error object every 4xx/5xx answer carries.
#pragma once

#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

namespace disaggd::http {

/// Sends `body` as application/json with `status`.
void send_json(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const nlohmann::json& body);

/// {"error": {"message", "type", "param", "code"}}; `param` and `code` are null when empty.
nlohmann::json error_body(const std::string& message, const std::string& type,
                          const std::string& param = "", const std::string& code = "");

/// Sends {"error": {"message", "type", "param", "code"}} with `status`. `param` and `code` are
/// null in the body when empty.
void send_error(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
                const std::string& message, const std::string& type, const std::string& param = "",
                const std::string& code = "");

/// Ends the connection of a response already being sent without finishing its body (no last
/// chunk), so the client sees an incomplete answer instead of a complete-looking one. The
/// handler must write nothing more.
void abort_connection(Poco::Net::HTTPServerRequest& request);

}  // namespace disaggd::http
