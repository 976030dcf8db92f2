// Range checks of SamplingParams, in the order the parameters are declared.
#include "engine/sampling/sampling_params.h"

#include <sstream>
#include <string>
#include <string_view>

namespace disaggd::engine {
namespace {

/// "<name> must be <rule>, got <value>" as a kInvalidArgument status.
template <class T>
core::Status out_of_range(std::string_view name, std::string_view rule, T value) {
  std::ostringstream message;
  message << name << " must be " << rule << ", got " << value;
  return core::Status(core::StatusCode::kInvalidArgument, message.str());
}

}  // namespace

bool is_greedy(const SamplingParams& params) {
  return params.temperature < kGreedyTemperature;
}

core::Status validate(const SamplingParams& params) {
  // Every check is written so that NaN fails it.
  if (!(params.temperature >= 0.0f && params.temperature <= 2.0f)) {
    return out_of_range("temperature", "in [0, 2]", params.temperature);
  }
  if (params.top_k < -1) {
    return out_of_range("top_k", "-1 or 0 (off) or at least 1", params.top_k);
  }
  if (!(params.top_p > 0.0f && params.top_p <= 1.0f)) {
    return out_of_range("top_p", "in (0, 1]", params.top_p);
  }
  if (!(params.min_p >= 0.0f && params.min_p <= 1.0f)) {
    return out_of_range("min_p", "in [0, 1]", params.min_p);
  }
  if (!(params.repetition_penalty > 0.0f && params.repetition_penalty <= 10.0f)) {
    return out_of_range("repetition_penalty", "in (0, 10]", params.repetition_penalty);
  }
  if (!(params.presence_penalty >= -2.0f && params.presence_penalty <= 2.0f)) {
    return out_of_range("presence_penalty", "in [-2, 2]", params.presence_penalty);
  }
  if (!(params.frequency_penalty >= -2.0f && params.frequency_penalty <= 2.0f)) {
    return out_of_range("frequency_penalty", "in [-2, 2]", params.frequency_penalty);
  }
  if (params.logprobs < 0 || params.logprobs > kMaxLogprobs) {
    return out_of_range("logprobs", "in [0, 20]", params.logprobs);
  }
  return core::Status();
}

}  // namespace disaggd::engine
