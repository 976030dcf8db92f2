// Field-by-field parsing with OpenAI-style errors: a wrong type or an out-of-range value names
// the field and what it must be.
#include "http/openai/completion_request.h"

#include <cmath>
#include <set>

namespace disaggd::http {
namespace {

using nlohmann::json;

/// Reads one optional field of a JSON object with type and range checks.
class Fields {
 public:
  explicit Fields(const json& body) : body_(body) {}

  /// The first error met, if any.
  const std::optional<ApiError>& error() const { return error_; }

  const json* get(const std::string& key) {
    const auto it = body_.find(key);
    return it == body_.end() || it->is_null() ? nullptr : &*it;
  }

  void number(const std::string& key, double& out, double min, double max) {
    const json* v = get(key);
    if (v == nullptr) {
      return;
    }
    if (!v->is_number()) {
      fail(key, "'" + key + "' must be a number");
      return;
    }
    const double value = v->get<double>();
    if (!std::isfinite(value) || value < min || value > max) {
      fail(key, "'" + key + "' must be between " + format(min) + " and " + format(max) + ", got " +
                    v->dump());
      return;
    }
    out = value;
  }

  void integer(const std::string& key, int64_t& out, int64_t min, int64_t max) {
    const json* v = get(key);
    if (v == nullptr) {
      return;
    }
    if (!v->is_number_integer()) {
      fail(key, "'" + key + "' must be an integer");
      return;
    }
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) {
      fail(key, "'" + key + "' must be at most " + std::to_string(max) + ", got " + v->dump());
      return;
    }
    const auto value = v->get<int64_t>();
    if (value < min || value > max) {
      fail(key, "'" + key + "' must be between " + std::to_string(min) + " and " +
                    std::to_string(max) + ", got " + v->dump());
      return;
    }
    out = value;
  }

  void boolean(const std::string& key, bool& out) {
    const json* v = get(key);
    if (v == nullptr) {
      return;
    }
    if (!v->is_boolean()) {
      fail(key, "'" + key + "' must be true or false");
      return;
    }
    out = v->get<bool>();
  }

  void fail(const std::string& key, const std::string& message) {
    if (!error_) {
      error_ = ApiError::invalid(key, message);
    }
  }

 private:
  static std::string format(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') {
      s.pop_back();
    }
    return s;
  }

  const json& body_;
  std::optional<ApiError> error_;
};

/// Keys either endpoint accepts; anything else is refused (a typo must not be silently ignored).
const std::set<std::string>& shared_keys() {
  static const std::set<std::string> keys = {"model",
                                             "max_tokens",
                                             "max_completion_tokens",
                                             "temperature",
                                             "top_p",
                                             "top_k",
                                             "min_p",
                                             "presence_penalty",
                                             "frequency_penalty",
                                             "repetition_penalty",
                                             "seed",
                                             "stop",
                                             "stop_token_ids",
                                             "ignore_eos",
                                             "skip_special_tokens",
                                             "stream",
                                             "stream_options",
                                             "logprobs",
                                             "n",
                                             "user",
                                             "logit_bias",
                                             "disaggd_pd"};
  return keys;
}

std::optional<ApiError> check_keys(const json& body, const std::set<std::string>& extra) {
  for (const auto& [key, value] : body.items()) {
    if (shared_keys().count(key) == 0 && extra.count(key) == 0) {
      return ApiError::invalid(key, "unknown field '" + key + "'");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> parse_model(Fields& fields, std::string& model) {
  const json* v = fields.get("model");
  if (v == nullptr || !v->is_string() || v->get<std::string>().empty()) {
    return ApiError::invalid("model", "'model' is required and must be a non-empty string");
  }
  model = v->get<std::string>();
  return std::nullopt;
}

/// "disaggd_pd": {"keep_cache": bool, "cache_handle": {...}}; the handle is checked by the node.
void parse_pd(Fields& f, const json& pd, PdFields& out) {
  if (!pd.is_object()) {
    f.fail("disaggd_pd", "'disaggd_pd' must be an object");
    return;
  }
  for (const auto& [key, value] : pd.items()) {
    if (key == "keep_cache" && value.is_boolean()) {
      out.keep_cache = value.get<bool>();
    } else if (key == "cache_handle" && value.is_object()) {
      out.cache_handle = value;
    } else if (key == "keep_cache" || key == "cache_handle") {
      f.fail("disaggd_pd." + key, "'disaggd_pd." + key + "' must be " +
                                      (key == "keep_cache" ? "a boolean" : "an object"));
    } else {
      f.fail("disaggd_pd." + key, "unknown field 'disaggd_pd." + key + "'");
    }
  }
}

/// The fields SamplingFields holds, except logprobs (whose shape differs between endpoints).
void parse_sampling(Fields& f, const json& body, SamplingFields& s) {
  int64_t n = 1;
  f.integer("n", n, 1, 1);  // one choice per request
  int64_t max_tokens = -1;
  const char* max_key = f.get("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  f.integer(max_key, max_tokens, 1, int64_t{1} << 31);
  if (max_tokens > 0) {
    s.max_tokens = max_tokens;
  }
  f.number("temperature", s.temperature, 0.0, 2.0);
  f.number("top_p", s.top_p, 1e-9, 1.0);
  f.integer("top_k", s.top_k, -1, int64_t{1} << 31);
  if (s.top_k == 0) {
    s.top_k = -1;
  }
  f.number("min_p", s.min_p, 0.0, 1.0);
  f.number("presence_penalty", s.presence_penalty, -2.0, 2.0);
  f.number("frequency_penalty", s.frequency_penalty, -2.0, 2.0);
  f.number("repetition_penalty", s.repetition_penalty, 1e-9, 10.0);
  if (const json* seed = f.get("seed")) {
    if (!seed->is_number_integer()) {
      f.fail("seed", "'seed' must be an integer");
    } else {
      s.seed = seed->is_number_unsigned() ? seed->get<uint64_t>()
                                          : static_cast<uint64_t>(seed->get<int64_t>());
    }
  }
  if (const json* stop = f.get("stop")) {
    if (stop->is_string()) {
      s.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 4) {
      for (const json& item : *stop) {
        if (!item.is_string()) {
          f.fail("stop", "'stop' must be a string or a list of up to 4 strings");
          break;
        }
        s.stop.push_back(item.get<std::string>());
      }
    } else {
      f.fail("stop", "'stop' must be a string or a list of up to 4 strings");
    }
    for (const std::string& text : s.stop) {
      if (text.empty()) {
        f.fail("stop", "'stop' strings must not be empty");
      }
    }
  }
  if (const json* ids = f.get("stop_token_ids")) {
    if (!ids->is_array()) {
      f.fail("stop_token_ids", "'stop_token_ids' must be a list of token ids");
    } else {
      for (const json& id : *ids) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0) {
          f.fail("stop_token_ids", "'stop_token_ids' must be a list of token ids");
          break;
        }
        s.stop_token_ids.push_back(id.get<int64_t>());
      }
    }
  }
  f.boolean("ignore_eos", s.ignore_eos);
  f.boolean("skip_special_tokens", s.skip_special_tokens);
  f.boolean("stream", s.stream);
  if (const json* options = f.get("stream_options")) {
    const auto usage = options->is_object() ? options->find("include_usage") : options->end();
    if (!options->is_object() || (usage != options->end() && !usage->is_boolean())) {
      f.fail("stream_options", "'stream_options' must be an object like {\"include_usage\": true}");
    } else if (usage != options->end()) {
      s.include_usage = usage->get<bool>();
    }
  }
  if (const json* bias = f.get("logit_bias"); bias != nullptr && !bias->empty()) {
    f.fail("logit_bias", "'logit_bias' is not supported");
  }
  if (const json* pd = f.get("disaggd_pd")) {
    parse_pd(f, *pd, s.pd);
  }
  (void)body;
}

/// A prompt item: a string, or a list of token ids.
std::optional<Prompt> prompt_item(const json& item) {
  if (item.is_string()) {
    return Prompt(item.get<std::string>());
  }
  if (item.is_array() && !item.empty()) {
    std::vector<int64_t> ids;
    for (const json& id : item) {
      if (!id.is_number_integer()) {
        return std::nullopt;
      }
      ids.push_back(id.get<int64_t>());
    }
    return Prompt(std::move(ids));
  }
  return std::nullopt;
}

}  // namespace

std::variant<CompletionRequest, ApiError> parse_completion_request(const json& body) {
  if (!body.is_object()) {
    return ApiError::invalid("", "the request body must be a JSON object");
  }
  if (auto error = check_keys(body, {"prompt", "echo", "suffix", "best_of"})) {
    return *error;
  }
  CompletionRequest request;
  Fields f(body);
  if (auto error = parse_model(f, request.model)) {
    return *error;
  }
  const json* prompt = f.get("prompt");
  const std::string shape =
      "'prompt' must be a string, a list of strings, a list of token ids or a list of lists of "
      "token ids";
  if (prompt == nullptr) {
    return ApiError::invalid("prompt", "'prompt' is required");
  }
  if (prompt->is_array() && !prompt->empty() && prompt->front().is_number_integer()) {
    auto ids = prompt_item(*prompt);
    if (!ids) {
      return ApiError::invalid("prompt", shape);
    }
    request.prompts.push_back(std::move(*ids));
  } else if (prompt->is_array() && !prompt->empty()) {
    for (const json& item : *prompt) {
      auto one = prompt_item(item);
      if (!one) {
        return ApiError::invalid("prompt", shape);
      }
      request.prompts.push_back(std::move(*one));
    }
  } else if (auto one = prompt_item(*prompt)) {
    request.prompts.push_back(std::move(*one));
  } else {
    return ApiError::invalid("prompt", shape);
  }
  if (const json* suffix = f.get("suffix"); suffix != nullptr) {
    return ApiError::invalid("suffix", "'suffix' is not supported");
  }
  int64_t best_of = 1;
  f.integer("best_of", best_of, 1, 1);
  f.boolean("echo", request.echo);
  parse_sampling(f, body, request.sampling);
  f.integer("logprobs", request.sampling.logprobs, 0, 20);
  request.sampling.want_logprobs = f.get("logprobs") != nullptr;
  if (f.error()) {
    return *f.error();
  }
  return request;
}

std::variant<ChatCompletionRequest, ApiError> parse_chat_completion_request(const json& body) {
  if (!body.is_object()) {
    return ApiError::invalid("", "the request body must be a JSON object");
  }
  if (auto error = check_keys(body, {"messages", "top_logprobs", "add_generation_prompt",
                                     "chat_template_kwargs", "tools", "tool_choice"})) {
    return *error;
  }
  ChatCompletionRequest request;
  Fields f(body);
  if (auto error = parse_model(f, request.model)) {
    return *error;
  }
  const json* messages = f.get("messages");
  if (messages == nullptr || !messages->is_array() || messages->empty()) {
    return ApiError::invalid("messages", "'messages' must be a non-empty list of messages");
  }
  static const std::set<std::string> roles = {"system", "user", "assistant", "tool", "developer"};
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
        roles.count(m["role"].get<std::string>()) == 0) {
      return ApiError::invalid(
          where + ".role", where + " must have a role: system, user, assistant, tool or developer");
    }
    const auto content = m.find("content");
    if (content != m.end() && !content->is_null() && !content->is_string()) {
      if (!content->is_array()) {
        return ApiError::invalid(where + ".content", where + ".content must be a string");
      }
      for (const json& part : *content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
            !part["text"].is_string()) {
          return ApiError::invalid(where + ".content",
                                   where +
                                       ".content parts must be {\"type\": \"text\", \"text\": "
                                       "...}; other content types are not supported");
        }
      }
    }
  }
  // Content given as a list of text parts becomes one string, as the chat templates expect.
  request.messages = *messages;
  for (json& m : request.messages) {
    if (m.contains("content") && m["content"].is_array()) {
      std::string text;
      for (const json& part : m["content"]) {
        text += part["text"].get<std::string>();
      }
      m["content"] = text;
    }
  }
  f.boolean("add_generation_prompt", request.add_generation_prompt);
  if (const json* kwargs = f.get("chat_template_kwargs")) {
    if (!kwargs->is_object()) {
      return ApiError::invalid("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    }
    request.chat_template_kwargs = *kwargs;
  }
  if (const json* tools = f.get("tools")) {
    if (!tools->is_array()) {
      return ApiError::invalid("tools", "'tools' must be a list");
    }
    request.tools = *tools;
  }
  parse_sampling(f, body, request.sampling);
  f.boolean("logprobs", request.sampling.want_logprobs);
  request.sampling.logprobs = request.sampling.want_logprobs ? 1 : 0;
  int64_t top = 0;
  f.integer("top_logprobs", top, 0, 20);
  if (top > 0) {
    request.sampling.logprobs = top;
  }
  if (f.error()) {
    return *f.error();
  }
  return request;
}

}  // namespace disaggd::http
