// Bounded body reading and JSON parsing.
#include "http/openai/request_body.h"

#include <istream>
#include <string>

namespace disaggd::http {

std::variant<nlohmann::json, ApiError> read_json_body(Poco::Net::HTTPServerRequest& request,
                                                      std::size_t max_bytes) {
  auto too_large = [max_bytes] {
    ApiError e;
    e.status = Poco::Net::HTTPResponse::HTTP_REQUESTENTITYTOOLARGE;
    e.message = "the request body is larger than " + std::to_string(max_bytes) + " bytes";
    e.code = "request_too_large";
    return e;
  };
  if (request.hasContentLength() && request.getContentLength64() >= 0 &&
      static_cast<std::size_t>(request.getContentLength64()) > max_bytes) {
    return too_large();
  }
  std::string body;
  std::istream& in = request.stream();
  char buffer[16384];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    body.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max_bytes) {
      return too_large();
    }
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // nlohmann's parser also refuses invalid UTF-8 inside strings.
    return ApiError::invalid("", body.empty() ? "the request body is empty"
                                              : "the request body is not valid JSON (UTF-8)");
  }
  if (!parsed.is_object()) {
    return ApiError::invalid("", "the request body must be a JSON object");
  }
  return parsed;
}

}  // namespace disaggd::http
