// HfTokenizer: a Hugging Face tokenizer.json with a BPE model (byte-level or SentencePiece-style).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/token_decoder.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_config.h"

namespace disaggd::engine {

/// The pipeline of Hugging Face's `tokenizers` library for BPE models: added tokens are found in
/// the raw text, the rest is normalized, pre-tokenized into words and each word is encoded by BPE;
/// the post-processor's template (or tokenizer_config.json's add_bos_token / add_eos_token) adds
/// BOS/EOS. See docs/tokenizers.md for what is supported.
class HfTokenizer final : public Tokenizer {
 public:
  /// Builds the tokenizer from a parsed tokenizer.json. `config` (may be null) is the model's
  /// tokenizer_config.json. Errors do not name the file; the loader adds it.
  static core::Result<std::unique_ptr<HfTokenizer>> create(const nlohmann::json& root,
                                                           const TokenizerConfig* config,
                                                           std::string source);

  core::Result<std::vector<TokenId>> encode(std::string_view text,
                                            bool add_special_tokens) const override;
  core::Result<std::string> decode_bytes(std::span<const TokenId> ids,
                                         bool skip_special_tokens) const override;
  std::optional<std::string> token_to_piece(TokenId id) const override;
  std::optional<TokenId> piece_to_id(std::string_view piece) const override;
  std::size_t vocab_size() const override { return vocab_size_; }
  bool is_special(TokenId id) const override;
  std::string description() const override;

  /// Whether the words are mapped onto GPT-2's byte alphabet (a ByteLevel pre-tokenizer).
  bool byte_level() const { return pre_tokenizer_.byte_level(); }

 private:
  struct Parts {
    std::unique_ptr<BpeModel> model;
    AddedVocabulary added;
    Normalizer normalizer;
    PreTokenizer pre_tokenizer;
    TokenDecoder decoder;
    std::vector<bool> special;
    std::size_t vocab_size = 0;
    std::string source;
  };

  HfTokenizer(TokenizerSpecials specials, Parts parts);

  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  TokenDecoder decoder_;
  std::vector<bool> special_;  ///< By id
  std::size_t vocab_size_;
  std::string source_;
};

}  // namespace disaggd::engine
