// Submitting generations and writing their results.
#include "engine/api/generation_runner.h"

#include <chrono>
#include <ctime>
#include <memory>

#include "http/json_response.h"
#include "http/openai/sse_writer.h"

namespace disaggd::engine {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/// What one generation produced so far.
struct Collected {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<float> logprobs;
  std::optional<FinishReason> finish;
  core::Status error;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  std::optional<KeptCache> kept_cache;  ///< Prefill: the handle of the prompt's KV.
};

/// "disaggd_pd": keep the prompt's cache (prefill nodes) or continue from a prefill's handle
/// (decode nodes); anything else is a 400.
std::optional<http::ApiError> apply_pd_fields(const http::SamplingFields& fields,
                                              const ServedModel& model, GenerationRequest& g) {
  const http::PdFields& pd = fields.pd;
  if (pd.keep_cache) {
    if (model.pd == nullptr || !model.pd->prefill()) {
      return http::ApiError::invalid("disaggd_pd.keep_cache", "this node is not a prefill node");
    }
    if (fields.stream) {
      return http::ApiError::invalid("disaggd_pd.keep_cache",
                                     "a prefill request must not be streamed");
    }
    g.keep_cache = true;
  }
  if (!pd.cache_handle.is_null()) {
    if (model.pd == nullptr || !model.pd->decode()) {
      return http::ApiError::invalid("disaggd_pd.cache_handle", "this node is not a decode node");
    }
    auto import = model.pd->import_from(pd.cache_handle);
    if (!import.ok()) {
      return http::ApiError::invalid("disaggd_pd.cache_handle", import.status().message());
    }
    g.import = std::move(import).value();
  }
  return std::nullopt;
}

json usage(uint32_t prompt, uint32_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

http::ApiError engine_error(const core::Status& status) {
  http::ApiError e;
  if (status.code() == core::StatusCode::kInvalidArgument) {
    e.message = status.message();
    return e;
  }
  e.status = status.code() == core::StatusCode::kUnavailable
                 ? Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE
                 : Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
  e.type =
      status.code() == core::StatusCode::kUnavailable ? "service_unavailable" : "internal_error";
  e.message = status.message();
  return e;
}

}  // namespace

void send_api_error(Poco::Net::HTTPServerResponse& response, const http::ApiError& error) {
  http::send_error(response, error.status, error.message, error.type, error.param, error.code);
}

std::variant<GenerationRequest, http::ApiError> make_generation(const http::SamplingFields& fields,
                                                                std::vector<int32_t> prompt,
                                                                uint32_t default_max_tokens,
                                                                const ServedModel& model,
                                                                const std::string& request_id) {
  GenerationRequest g;
  g.request_id = request_id;
  g.prompt = std::move(prompt);
  g.sampling.temperature = static_cast<float>(fields.temperature);
  g.sampling.top_p = static_cast<float>(fields.top_p);
  g.sampling.top_k = static_cast<int32_t>(fields.top_k);
  g.sampling.min_p = static_cast<float>(fields.min_p);
  g.sampling.presence_penalty = static_cast<float>(fields.presence_penalty);
  g.sampling.frequency_penalty = static_cast<float>(fields.frequency_penalty);
  g.sampling.repetition_penalty = static_cast<float>(fields.repetition_penalty);
  g.sampling.seed = fields.seed;
  g.sampling.logprobs = fields.want_logprobs ? std::max<int32_t>(1, int32_t(fields.logprobs)) : 0;
  if (const core::Status valid = validate(g.sampling); !valid.ok()) {
    const std::string& message = valid.message();
    return http::ApiError::invalid(message.substr(0, message.find(' ')), message);
  }
  g.max_tokens = fields.max_tokens ? static_cast<uint32_t>(*fields.max_tokens) : default_max_tokens;
  g.stop = fields.stop;
  const auto vocab = static_cast<int64_t>(model.config->vocab_size);
  for (int64_t id : fields.stop_token_ids) {
    if (id >= vocab) {
      return http::ApiError::invalid(
          "stop_token_ids", "stop token id " + std::to_string(id) + " is outside the vocabulary");
    }
    g.stop_token_ids.push_back(static_cast<int32_t>(id));
  }
  g.ignore_eos = fields.ignore_eos;
  g.skip_special_tokens = fields.skip_special_tokens;
  if (auto error = apply_pd_fields(fields, model, g)) {
    return *error;
  }
  return g;
}

void run_generations(std::vector<GenerationRequest> generations,
                     const std::vector<PreparedPrompt>& prompts, const http::SamplingFields& fields,
                     const ResponseShape& shape, const ServedModel& model,
                     const std::string& request_id, Poco::Net::HTTPServerResponse& response) {
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (GenerationRequest& g : generations) {
    const bool imports = g.import.has_value();
    auto stream = model.engine->submit(std::move(g));
    if (!stream.ok()) {
      for (auto& s : streams) {
        s->cancel();
      }
      http::ApiError error = engine_error(stream.status());
      if (imports && stream.status().code() == core::StatusCode::kInvalidArgument) {
        error.param = "disaggd_pd.cache_handle";  // the handle does not fit this request
        error.message = "disaggd_pd.cache_handle: " + error.message;
      }
      send_api_error(response, error);
      return;
    }
    streams.push_back(*stream);
  }
  const std::string id = shape.id_prefix + request_id;
  const auto created = static_cast<int64_t>(std::time(nullptr));
  auto envelope = [&](const std::string& object) {
    return json{{"id", id}, {"object", object}, {"created", created}, {"model", model.name}};
  };
  std::vector<Collected> collected(streams.size());
  const auto all_done = [&] {
    for (const Collected& c : collected) {
      if (!c.finish) {
        return false;
      }
    }
    return true;
  };

  if (fields.stream) {
    http::SseWriter sse(response);
    std::vector<bool> started(streams.size(), false);
    bool client_gone = false;
    while (!all_done() && !client_gone) {
      for (std::size_t i = 0; i < streams.size() && !client_gone; ++i) {
        if (collected[i].finish) {
          continue;
        }
        // Short waits per stream so that several prompts stream side by side.
        auto event = streams[i]->pop(streams.size() == 1 ? 1000ms : 5ms);
        if (!event) {
          continue;
        }
        Collected& c = collected[i];
        c.finish = event->finish;
        c.prompt_tokens = event->prompt_tokens;
        c.completion_tokens = event->completion_tokens;
        if (event->finish == FinishReason::kError) {
          json error = {{"error",
                         {{"message", event->error.message()},
                          {"type", "internal_error"},
                          {"param", nullptr},
                          {"code", nullptr}}}};
          client_gone = !sse.send(error);
          continue;
        }
        std::string text = event->text;
        if (!started[i] && !prompts[i].echo.empty()) {
          text = prompts[i].echo + text;
        }
        const char* finish = event->finish ? finish_reason_name(*event->finish) : nullptr;
        if (text.empty() && event->token_ids.empty() && !finish && started[i]) {
          continue;
        }
        json chunk = envelope(shape.chunk_object);
        chunk["choices"] = json::array(
            {shape.delta(i, text, event->token_ids, event->logprobs, finish, !started[i])});
        started[i] = true;
        client_gone = !sse.send(chunk);
      }
    }
    if (client_gone) {
      for (auto& s : streams) {
        s->cancel();
      }
      return;
    }
    if (fields.include_usage) {
      uint32_t prompt = 0;
      uint32_t completion = 0;
      for (const Collected& c : collected) {
        prompt += c.prompt_tokens;
        completion += c.completion_tokens;
      }
      json chunk = envelope(shape.chunk_object);
      chunk["choices"] = json::array();
      chunk["usage"] = usage(prompt, completion);
      sse.send(chunk);
    }
    sse.send_done();
    return;
  }

  for (std::size_t i = 0; i < streams.size(); ++i) {
    Collected& c = collected[i];
    while (!c.finish) {
      auto event = streams[i]->pop(1000ms);
      if (!event) {
        continue;
      }
      c.text += event->text;
      c.ids.insert(c.ids.end(), event->token_ids.begin(), event->token_ids.end());
      c.logprobs.insert(c.logprobs.end(), event->logprobs.begin(), event->logprobs.end());
      c.finish = event->finish;
      c.error = event->error;
      c.prompt_tokens = event->prompt_tokens;
      c.completion_tokens = event->completion_tokens;
      if (event->kept_cache) {
        c.kept_cache = std::move(event->kept_cache);
      }
    }
    if (c.finish == FinishReason::kError) {
      for (auto& s : streams) {
        s->cancel();
      }
      http::ApiError error;
      error.status = Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
      error.type = "internal_error";
      error.message = c.error.ok() ? "the generation failed" : c.error.message();
      send_api_error(response, error);
      return;
    }
  }
  json body = envelope(shape.object);
  body["choices"] = json::array();
  uint32_t prompt = 0;
  uint32_t completion = 0;
  for (std::size_t i = 0; i < collected.size(); ++i) {
    const Collected& c = collected[i];
    body["choices"].push_back(shape.choice(i, prompts[i].echo + c.text, c.ids, c.logprobs,
                                           finish_reason_name(*c.finish)));
    prompt += c.prompt_tokens;
    completion += c.completion_tokens;
  }
  body["usage"] = usage(prompt, completion);
  if (model.pd != nullptr && collected.size() == 1 && collected.front().kept_cache) {
    body["disaggd_pd"] = {{"cache_handle", model.pd->handle_json(*collected.front().kept_cache)}};
  }
  http::send_json(response, Poco::Net::HTTPResponse::HTTP_OK, body);
}

}  // namespace disaggd::engine
