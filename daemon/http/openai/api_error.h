// ApiError: a client-facing error in OpenAI's shape — HTTP status, message, type, param, code.
#pragma once

#include <string>

#include <Poco/Net/HTTPResponse.h>

namespace disaggd::http {

struct ApiError {
  Poco::Net::HTTPResponse::HTTPStatus status = Poco::Net::HTTPResponse::HTTP_BAD_REQUEST;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  ///< The request field at fault; empty when none.
  std::string code;

  /// 400 invalid_request_error about `param`.
  static ApiError invalid(std::string param, std::string message) {
    ApiError e;
    e.param = std::move(param);
    e.message = std::move(message);
    return e;
  }
};

}  // namespace disaggd::http
