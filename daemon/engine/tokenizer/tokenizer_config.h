// TokenizerConfig: what the engine uses from a model folder's tokenizer_config.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/tokenizer/added_vocabulary.h"

namespace disaggd::engine {

/// The fields of tokenizer_config.json (transformers' format) that change tokenization.
struct TokenizerConfig {
  std::string tokenizer_class;        ///< "LlamaTokenizer", "Qwen2Tokenizer", ... (informational)
  std::optional<bool> add_bos_token;  ///< When set, decides whether encode() adds BOS.
  std::optional<bool> add_eos_token;  ///< When set, decides whether encode() adds EOS.
  std::optional<std::string> bos_token;  ///< Token strings (a plain string or {"content": ...}).
  std::optional<std::string> eos_token;
  std::optional<std::string> unk_token;
  std::optional<std::string> pad_token;
  std::vector<AddedToken> added_tokens;  ///< From added_tokens_decoder, in id order.
};

/// Reads a tokenizer_config.json. Unknown keys are ignored (the file has many that only matter to
/// Python); keys the engine uses must have the right type.
core::Result<TokenizerConfig> read_tokenizer_config(const std::filesystem::path& file);

}  // namespace disaggd::engine
