// read_tokenizer_config: tokenizer_config.json into TokenizerConfig, checking every used field.
#include "engine/tokenizer/tokenizer_config.h"

#include <algorithm>
#include <charconv>

#include "engine/common/json_file.h"
#include "engine/tokenizer/json_fields.h"

namespace disaggd::engine {
namespace {

using json_fields::flag;

core::Status field_error(const std::filesystem::path& file, const std::string& key,
                         const std::string& what) {
  return core::Status(core::StatusCode::kInvalidArgument, file.string() + ": " + key + ": " + what);
}

/// A token field: null/absent, a string, or an AddedToken object with "content".
core::Status read_token(const nlohmann::json& root, const std::string& key,
                        const std::filesystem::path& file, std::optional<std::string>& out) {
  const auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    return core::Status();
  }
  if (it->is_string()) {
    out = it->get<std::string>();
    return core::Status();
  }
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    out = (*it)["content"].get<std::string>();
    return core::Status();
  }
  return field_error(file, key, "expected a string or an object with \"content\"");
}

core::Status read_flag(const nlohmann::json& root, const std::string& key,
                       const std::filesystem::path& file, std::optional<bool>& out) {
  const auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    return core::Status();
  }
  if (!it->is_boolean()) {
    return field_error(file, key, "expected true or false");
  }
  out = it->get<bool>();
  return core::Status();
}

}  // namespace

core::Result<TokenizerConfig> read_tokenizer_config(const std::filesystem::path& file) {
  core::Result<nlohmann::json> parsed = read_json_file(file);
  if (!parsed.ok()) {
    return parsed.status();
  }
  const nlohmann::json& root = *parsed;
  if (!root.is_object()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        file.string() + ": expected a JSON object at the top level");
  }
  TokenizerConfig config;
  if (const auto it = root.find("tokenizer_class"); it != root.end() && it->is_string()) {
    config.tokenizer_class = it->get<std::string>();
  }
  DISAGGD_RETURN_IF_ERROR(read_flag(root, "add_bos_token", file, config.add_bos_token));
  DISAGGD_RETURN_IF_ERROR(read_flag(root, "add_eos_token", file, config.add_eos_token));
  DISAGGD_RETURN_IF_ERROR(read_token(root, "bos_token", file, config.bos_token));
  DISAGGD_RETURN_IF_ERROR(read_token(root, "eos_token", file, config.eos_token));
  DISAGGD_RETURN_IF_ERROR(read_token(root, "unk_token", file, config.unk_token));
  DISAGGD_RETURN_IF_ERROR(read_token(root, "pad_token", file, config.pad_token));

  if (const auto it = root.find("added_tokens_decoder"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) {
      return field_error(file, "added_tokens_decoder", "expected an object of id -> token");
    }
    for (const auto& [key, value] : it->items()) {
      const std::string where = "added_tokens_decoder." + key;
      TokenId id = 0;
      const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
      if (ec != std::errc() || end != key.data() + key.size() || id < 0 || id > kMaxTokenId) {
        return field_error(
            file, where, "the key must be a token id in [0, " + std::to_string(kMaxTokenId) + "]");
      }
      if (!value.is_object() || !value.contains("content") || !value["content"].is_string()) {
        return field_error(file, where, "expected an object with a string \"content\"");
      }
      AddedToken token;
      token.id = id;
      token.content = value["content"].get<std::string>();
      token.special = flag(value, "special", false);
      token.lstrip = flag(value, "lstrip", false);
      token.rstrip = flag(value, "rstrip", false);
      token.single_word = flag(value, "single_word", false);
      token.normalized = flag(value, "normalized", !token.special);
      config.added_tokens.push_back(std::move(token));
    }
    std::sort(config.added_tokens.begin(), config.added_tokens.end(),
              [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
  }
  return config;
}

}  // namespace disaggd::engine
