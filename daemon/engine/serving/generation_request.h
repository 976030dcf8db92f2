// GenerationRequest and GenerationEvent: what a caller hands the engine, and what comes back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/sampling/sampling_params.h"
#include "engine/serving/cache_handles.h"
#include "engine/serving/kv_import.h"

namespace disaggd::engine {

/// One generation, already tokenized and validated by the API layer.
struct GenerationRequest {
  std::string request_id;  ///< For logs.
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  uint32_t max_tokens = 16;
  std::vector<std::string> stop;        ///< Stop strings (not included in the output).
  std::vector<int32_t> stop_token_ids;  ///< Extra ids that end the generation (included).
  bool ignore_eos = false;              ///< Keep going past the model's eos ids.
  bool skip_special_tokens = true;      ///< Leave special tokens out of the text.
  /// Prefill role: when the generation ends normally, keep the prompt's KV blocks under a cache
  /// handle (see GenerationEvent::kept_cache) instead of freeing them.
  bool keep_cache = false;
  /// Decode role: the prompt's KV and first token come from a prefill node. The engine pulls the
  /// KV into its own blocks and continues after the first token; if the pull fails it computes
  /// the prompt itself, so the output is the same either way.
  std::optional<KvImport> import;
};

/// Why a generation ended, in OpenAI's words.
enum class FinishReason { kStop, kLength, kAbort, kError };

/// "stop", "length", "abort", "error".
const char* finish_reason_name(FinishReason reason);

/// A piece of a generation's output. Every generated token appears in exactly one event; `text`
/// is the output text that became final with it (stop strings held back and removed, UTF-8
/// complete).
struct GenerationEvent {
  std::string text;
  std::vector<int32_t> token_ids;
  std::vector<float> logprobs;  ///< One per token id when logprobs were asked for.
  /// Set on the last event.
  std::optional<FinishReason> finish;
  /// When finish is kError: what went wrong.
  core::Status error;
  /// Set on the last event of a keep_cache generation that ended normally: the handle a decode
  /// node names to pull the prompt's KV, until Engine::release_cache() or the time to live.
  std::optional<KeptCache> kept_cache;
  /// Prompt tokens and generated tokens so far (for usage).
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
};

}  // namespace disaggd::engine
