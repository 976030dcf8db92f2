// The OpenAI endpoints: parsing, tokenizing, chat templates, and the response shapes.
#include "engine/api/openai_routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "engine/api/generation_runner.h"
#include "http/bearer_auth.h"
#include "http/json_response.h"
#include "http/openai/request_body.h"

namespace disaggd::engine {
namespace {

using nlohmann::json;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

/// The text of one token for logprobs (its bytes; a partial UTF-8 character is repaired when
/// the JSON is written).
std::string token_text(const Tokenizer& tokenizer, int32_t id) {
  auto text = tokenizer.decode_bytes(std::span<const TokenId>(&id, 1), false);
  return text.ok() ? *text : std::string();
}

json completion_logprobs(const Tokenizer& tokenizer, const std::vector<int32_t>& ids,
                         const std::vector<float>& logprobs) {
  if (logprobs.empty()) {
    return nullptr;
  }
  json tokens = json::array();
  for (int32_t id : ids) {
    tokens.push_back(token_text(tokenizer, id));
  }
  return {{"tokens", tokens}, {"token_logprobs", logprobs}, {"top_logprobs", nullptr}};
}

json chat_logprobs(const Tokenizer& tokenizer, const std::vector<int32_t>& ids,
                   const std::vector<float>& logprobs) {
  if (logprobs.empty()) {
    return nullptr;
  }
  json content = json::array();
  for (std::size_t i = 0; i < ids.size() && i < logprobs.size(); ++i) {
    const std::string text = token_text(tokenizer, ids[i]);
    content.push_back({{"token", text},
                       {"logprob", logprobs[i]},
                       {"bytes", std::vector<unsigned char>(text.begin(), text.end())},
                       {"top_logprobs", json::array()}});
  }
  return {{"content", content}};
}

json finish_value(const char* finish) {
  return finish ? json(finish) : json(nullptr);
}

ResponseShape completion_shape(const Tokenizer& tokenizer) {
  ResponseShape shape;
  shape.id_prefix = "cmpl-";
  shape.object = "text_completion";
  shape.chunk_object = "text_completion";
  shape.choice = [&tokenizer](std::size_t index, const std::string& text,
                              const std::vector<int32_t>& ids, const std::vector<float>& lp,
                              const char* finish) {
    return json{{"index", index},
                {"text", text},
                {"logprobs", completion_logprobs(tokenizer, ids, lp)},
                {"finish_reason", finish_value(finish)}};
  };
  shape.delta = [&tokenizer](std::size_t index, const std::string& text,
                             const std::vector<int32_t>& ids, const std::vector<float>& lp,
                             const char* finish, bool) {
    return json{{"index", index},
                {"text", text},
                {"logprobs", completion_logprobs(tokenizer, ids, lp)},
                {"finish_reason", finish_value(finish)}};
  };
  return shape;
}

ResponseShape chat_shape(const Tokenizer& tokenizer) {
  ResponseShape shape;
  shape.id_prefix = "chatcmpl-";
  shape.object = "chat.completion";
  shape.chunk_object = "chat.completion.chunk";
  shape.choice = [&tokenizer](std::size_t index, const std::string& text,
                              const std::vector<int32_t>& ids, const std::vector<float>& lp,
                              const char* finish) {
    return json{{"index", index},
                {"message", {{"role", "assistant"}, {"content", text}}},
                {"logprobs", chat_logprobs(tokenizer, ids, lp)},
                {"finish_reason", finish_value(finish)}};
  };
  shape.delta = [&tokenizer](std::size_t index, const std::string& text,
                             const std::vector<int32_t>& ids, const std::vector<float>& lp,
                             const char* finish, bool first) {
    json delta = json::object();
    if (first) {
      delta["role"] = "assistant";
    }
    if (!text.empty() || first) {
      delta["content"] = text;
    }
    return json{{"index", index},
                {"delta", delta},
                {"logprobs", chat_logprobs(tokenizer, ids, lp)},
                {"finish_reason", finish_value(finish)}};
  };
  return shape;
}

/// Counts answers by endpoint and HTTP status.
class RequestCounter {
 public:
  RequestCounter(core::MetricsRegistry& metrics, std::string endpoint)
      : metrics_(metrics), endpoint_(std::move(endpoint)) {}
  void count(HTTPServerResponse& response) {
    metrics_
        .counter("disaggd_http_requests_total", "HTTP requests answered, by endpoint and status.",
                 {{"endpoint", endpoint_}, {"status", std::to_string(int(response.getStatus()))}})
        .add();
  }

 private:
  core::MetricsRegistry& metrics_;
  std::string endpoint_;
};

http::ApiError model_not_found(const std::string& name) {
  http::ApiError e;
  e.status = HTTPResponse::HTTP_NOT_FOUND;
  e.message = "The model `" + name + "` does not exist.";
  e.param = "model";
  e.code = "model_not_found";
  return e;
}

/// Encodes one prompt: text through the tokenizer (with its special prefix such as BOS), ids as
/// given (the engine checks their range).
std::variant<PreparedPrompt, http::ApiError> prepare(const http::Prompt& prompt, bool echo,
                                                     const Tokenizer& tokenizer,
                                                     bool add_special_tokens) {
  PreparedPrompt prepared;
  if (const auto* text = std::get_if<std::string>(&prompt)) {
    auto ids = tokenizer.encode(*text, add_special_tokens);
    if (!ids.ok()) {
      return http::ApiError::invalid("prompt", ids.status().message());
    }
    prepared.ids = std::move(*ids);
    if (echo) {
      prepared.echo = *text;
    }
    return prepared;
  }
  for (int64_t id : std::get<std::vector<int64_t>>(prompt)) {
    if (id < 0 || id > INT32_MAX) {
      return http::ApiError::invalid(
          "prompt", "token id " + std::to_string(id) + " is outside the vocabulary");
    }
    prepared.ids.push_back(static_cast<int32_t>(id));
  }
  if (echo) {
    auto text = tokenizer.decode(prepared.ids, true);
    if (!text.ok()) {
      return http::ApiError::invalid("prompt", text.status().message());
    }
    prepared.echo = *text;
  }
  return prepared;
}

void handle_completions(const ServedModel& model, const http::RequestContext& context,
                        HTTPServerRequest& request, HTTPServerResponse& response) {
  auto body = http::read_json_body(request, model.max_body_bytes);
  if (auto* error = std::get_if<http::ApiError>(&body)) {
    return send_api_error(response, *error);
  }
  auto parsed = http::parse_completion_request(std::get<json>(body));
  if (auto* error = std::get_if<http::ApiError>(&parsed)) {
    return send_api_error(response, *error);
  }
  const http::CompletionRequest& r = std::get<http::CompletionRequest>(parsed);
  if (r.model != model.name) {
    return send_api_error(response, model_not_found(r.model));
  }
  if (r.sampling.pd.present() &&
      !http::require_cluster_token(model.cluster_token, request, response)) {
    return;
  }
  if (r.sampling.pd.present() && r.prompts.size() != 1) {
    return send_api_error(
        response, http::ApiError::invalid("prompt", "a prefill or decode request has one prompt"));
  }
  std::vector<PreparedPrompt> prompts;
  std::vector<GenerationRequest> generations;
  for (const http::Prompt& p : r.prompts) {
    auto prepared = prepare(p, r.echo, *model.tokenizer, true);
    if (auto* error = std::get_if<http::ApiError>(&prepared)) {
      return send_api_error(response, *error);
    }
    auto generation = make_generation(r.sampling, std::get<PreparedPrompt>(prepared).ids,
                                      /*default_max_tokens=*/16, model, context.request_id);
    if (auto* error = std::get_if<http::ApiError>(&generation)) {
      return send_api_error(response, *error);
    }
    prompts.push_back(std::move(std::get<PreparedPrompt>(prepared)));
    generations.push_back(std::move(std::get<GenerationRequest>(generation)));
  }
  run_generations(std::move(generations), prompts, r.sampling, completion_shape(*model.tokenizer),
                  model, context.request_id, response);
}

void handle_chat(const ServedModel& model, const http::RequestContext& context,
                 HTTPServerRequest& request, HTTPServerResponse& response) {
  auto body = http::read_json_body(request, model.max_body_bytes);
  if (auto* error = std::get_if<http::ApiError>(&body)) {
    return send_api_error(response, *error);
  }
  auto parsed = http::parse_chat_completion_request(std::get<json>(body));
  if (auto* error = std::get_if<http::ApiError>(&parsed)) {
    return send_api_error(response, *error);
  }
  const http::ChatCompletionRequest& r = std::get<http::ChatCompletionRequest>(parsed);
  if (r.model != model.name) {
    return send_api_error(response, model_not_found(r.model));
  }
  if (r.sampling.pd.present() &&
      !http::require_cluster_token(model.cluster_token, request, response)) {
    return;
  }
  if (!model.chat_template) {
    return send_api_error(
        response, http::ApiError::invalid("messages",
                                          "this model has no chat template (none in its folder "
                                          "and node.chat_template is not set); use "
                                          "/v1/completions"));
  }
  json variables = r.chat_template_kwargs;
  variables["messages"] = r.messages;
  variables["add_generation_prompt"] = r.add_generation_prompt;
  const Tokenizer& tokenizer = *model.tokenizer;
  auto special = [&tokenizer](std::optional<TokenId> id) {
    auto piece = id ? tokenizer.token_to_piece(*id) : std::nullopt;
    return piece ? *piece : std::string();
  };
  variables["bos_token"] = special(tokenizer.bos_id());
  variables["eos_token"] = special(tokenizer.eos_id());
  if (!r.tools.is_null()) {
    variables["tools"] = r.tools;
  }
  // Room for a prompt as long as the context (about 4 bytes a token) and then some.
  ChatTemplateRenderOptions limits;
  limits.max_output_bytes = std::max<std::size_t>(
      limits.max_output_bytes, std::size_t{16} * model.engine->config().max_model_len);
  auto text = model.chat_template->render(variables, limits);
  if (!text.ok()) {
    return send_api_error(
        response, http::ApiError::invalid("messages",
                                          "the chat template failed: " + text.status().message()));
  }
  // The template writes the special tokens itself (BOS included), as transformers'
  // apply_chat_template(tokenize=True) does.
  auto prepared = prepare(http::Prompt(*text), false, tokenizer, false);
  if (auto* error = std::get_if<http::ApiError>(&prepared)) {
    return send_api_error(response, *error);
  }
  std::vector<int32_t> ids = std::get<PreparedPrompt>(prepared).ids;
  const uint32_t room =
      model.engine->config().max_model_len > ids.size()
          ? model.engine->config().max_model_len - static_cast<uint32_t>(ids.size())
          : 1;
  auto generation = make_generation(r.sampling, std::move(ids), room, model, context.request_id);
  if (auto* error = std::get_if<http::ApiError>(&generation)) {
    return send_api_error(response, *error);
  }
  std::vector<GenerationRequest> generations;
  generations.push_back(std::move(std::get<GenerationRequest>(generation)));
  run_generations(std::move(generations), {PreparedPrompt{}}, r.sampling, chat_shape(tokenizer),
                  model, context.request_id, response);
}

/// GET /distserve/engine_info (prefill and decode) and POST /distserve/release (prefill).
void add_distserve_routes(http::HttpServer& server,
                          const std::shared_ptr<const ServedModel>& model) {
  server.add_route("GET", "/distserve/engine_info",
                   [model](const http::RequestContext&, HTTPServerRequest& request,
                           HTTPServerResponse& response) {
                     if (!http::require_cluster_token(model->cluster_token, request, response)) {
                       return;
                     }
                     http::send_json(response, HTTPResponse::HTTP_OK, model->pd->engine_info());
                   });
  if (!model->pd->prefill()) {
    return;
  }
  server.add_route(
      "POST", "/distserve/release",
      [model](const http::RequestContext& context, HTTPServerRequest& request,
              HTTPServerResponse& response) {
        if (!http::require_cluster_token(model->cluster_token, request, response)) {
          return;
        }
        auto body = http::read_json_body(request, 4096);
        if (auto* error = std::get_if<http::ApiError>(&body)) {
          return send_api_error(response, *error);
        }
        const json& fields = std::get<json>(body);
        const auto id = fields.find("handle_id");
        if (id == fields.end() || !id->is_string()) {
          return send_api_error(response,
                                http::ApiError::invalid("handle_id", "'handle_id' is required"));
        }
        const core::Status released = model->engine->release_cache(id->get<std::string>());
        if (!released.ok()) {
          http::ApiError error = http::ApiError::invalid("handle_id", released.message());
          if (released.code() == core::StatusCode::kNotFound) {
            error.status = HTTPResponse::HTTP_NOT_FOUND;
          }
          return send_api_error(response, error);
        }
        spdlog::debug("[{}] kept cache {} released", context.request_id, id->get<std::string>());
        http::send_json(response, HTTPResponse::HTTP_OK, {{"released", *id}});
      });
}

}  // namespace

void add_openai_routes(http::HttpServer& server, std::shared_ptr<const ServedModel> model) {
  const auto created = static_cast<int64_t>(std::time(nullptr));
  auto counted = [model](std::string endpoint, auto handler) {
    return [model, endpoint = std::move(endpoint), handler](const http::RequestContext& context,
                                                            HTTPServerRequest& request,
                                                            HTTPServerResponse& response) {
      RequestCounter counter(*model->metrics, endpoint);
      handler(*model, context, request, response);
      counter.count(response);
    };
  };
  server.add_route("GET", "/v1/models",
                   counted("/v1/models", [created](const ServedModel& m, const auto&, auto&,
                                                   HTTPServerResponse& response) {
                     json card = {{"id", m.name},
                                  {"object", "model"},
                                  {"created", created},
                                  {"owned_by", "disaggd"},
                                  {"max_model_len", m.engine->config().max_model_len}};
                     http::send_json(response, HTTPResponse::HTTP_OK,
                                     {{"object", "list"}, {"data", json::array({card})}});
                   }));
  server.add_route("POST", "/v1/completions", counted("/v1/completions", handle_completions));
  server.add_route("POST", "/v1/chat/completions", counted("/v1/chat/completions", handle_chat));
  if (model->pd != nullptr) {
    add_distserve_routes(server, model);
  }
  server.add_route(
      "GET", "/health",
      [](const http::RequestContext&, HTTPServerRequest&, HTTPServerResponse& response) {
        http::send_json(response, HTTPResponse::HTTP_OK, {{"status", "ok"}});
      });
  server.add_route(
      "GET", "/metrics",
      [model](const http::RequestContext&, HTTPServerRequest&, HTTPServerResponse& response) {
        const std::string text = model->metrics->render();
        response.setStatus(HTTPResponse::HTTP_OK);
        response.setContentType("text/plain; version=0.0.4");
        response.setContentLength(static_cast<std::streamsize>(text.size()));
        response.send() << text;
      });
}

}  // namespace disaggd::engine
