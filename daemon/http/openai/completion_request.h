// The bodies of POST /v1/completions and POST /v1/chat/completions, parsed and validated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/openai/api_error.h"

namespace disaggd::http {

/// disaggd's prefill/decode extension, "disaggd_pd": what the proxy adds under DistServe.
struct PdFields {
  bool keep_cache = false;      ///< To a prefill node: keep the prompt's KV under a handle.
  nlohmann::json cache_handle;  ///< To a decode node: the prefill's handle (null when absent).

  /// True when the request uses the extension at all.
  bool present() const { return keep_cache || !cache_handle.is_null(); }
};

/// Sampling and stopping fields both endpoints share (OpenAI's plus vLLM/LMDeploy extensions,
/// and disaggd's prefill/decode fields).
struct SamplingFields {
  std::optional<int64_t> max_tokens;  ///< Absent: up to the context.
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = -1;
  double min_p = 0.0;
  double presence_penalty = 0.0;
  double frequency_penalty = 0.0;
  double repetition_penalty = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  std::vector<int64_t> stop_token_ids;
  bool ignore_eos = false;
  bool skip_special_tokens = true;
  bool stream = false;
  bool include_usage = false;  ///< stream_options.include_usage
  int64_t logprobs = 0;        ///< Top logprobs per token (0 = none).
  bool want_logprobs = false;
  PdFields pd;
};

/// A prompt: text, or token ids.
using Prompt = std::variant<std::string, std::vector<int64_t>>;

struct CompletionRequest {
  std::string model;
  std::vector<Prompt> prompts;  ///< One or more (a list of strings or of id lists).
  bool echo = false;
  SamplingFields sampling;
};

struct ChatCompletionRequest {
  std::string model;
  nlohmann::json messages;  ///< A validated array of {role, content, ...}.
  bool add_generation_prompt = true;
  nlohmann::json chat_template_kwargs = nlohmann::json::object();  ///< e.g. enable_thinking
  nlohmann::json tools;                                            ///< null when absent
  SamplingFields sampling;
};

/// Parses a /v1/completions body; the error names the field at fault.
std::variant<CompletionRequest, ApiError> parse_completion_request(const nlohmann::json& body);

/// Parses a /v1/chat/completions body.
std::variant<ChatCompletionRequest, ApiError> parse_chat_completion_request(
    const nlohmann::json& body);

}  // namespace disaggd::http
