// Turning parsed OpenAI requests into engine generations and their results into OpenAI
// responses, streamed (SSE) or whole. Shared by /v1/completions and /v1/chat/completions, which
// differ only in how a choice is written.
#pragma once

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

#include "engine/api/served_model.h"
#include "http/openai/api_error.h"
#include "http/openai/completion_request.h"

namespace disaggd::engine {

/// How one endpoint writes its responses.
struct ResponseShape {
  std::string id_prefix;     ///< "cmpl-" or "chatcmpl-".
  std::string object;        ///< "text_completion" or "chat.completion".
  std::string chunk_object;  ///< "text_completion" or "chat.completion.chunk".
  /// A whole choice: index, the full text, token ids and logprobs, finish reason.
  std::function<nlohmann::json(std::size_t index, const std::string& text,
                               const std::vector<int32_t>& ids, const std::vector<float>& logprobs,
                               const char* finish)>
      choice;
  /// A streamed choice delta; `first` for the first chunk of a choice (chat sends the role).
  std::function<nlohmann::json(std::size_t index, const std::string& text,
                               const std::vector<int32_t>& ids, const std::vector<float>& logprobs,
                               const char* finish, bool first)>
      delta;
};

/// One prompt, tokenized, with the text echo puts before the completion (may be empty).
struct PreparedPrompt {
  std::vector<int32_t> ids;
  std::string echo;
};

/// The GenerationRequest for one prompt, or a 400 naming the field at fault.
std::variant<GenerationRequest, http::ApiError> make_generation(const http::SamplingFields& fields,
                                                                std::vector<int32_t> prompt,
                                                                uint32_t default_max_tokens,
                                                                const ServedModel& model,
                                                                const std::string& request_id);

/// Submits every generation and answers: SSE when `stream`, else one JSON body. Cancels the
/// generations when the client goes away mid-stream. Errors before any output become an
/// OpenAI error response.
void run_generations(std::vector<GenerationRequest> generations,
                     const std::vector<PreparedPrompt>& prompts, const http::SamplingFields& fields,
                     const ResponseShape& shape, const ServedModel& model,
                     const std::string& request_id, Poco::Net::HTTPServerResponse& response);

/// Sends `error` as the OpenAI error object with its status.
void send_api_error(Poco::Net::HTTPServerResponse& response, const http::ApiError& error);

}  // namespace disaggd::engine
