// SentencePieceTokenizer: a tokenizer.model, encoded by libsentencepiece.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_config.h"

namespace sentencepiece {
class SentencePieceProcessor;
}  // namespace sentencepiece

namespace disaggd::engine {

/// A SentencePiece model (Llama 2 style). libsentencepiece encodes the text between added tokens,
/// with the model's own normalization (for Llama 2 that includes removing extra whitespace).
/// Decoding is done here, the way the matching tokenizer.json decodes ("▁" -> " ", byte pieces
/// to bytes, one leading space removed), so both files of a model give the same text.
class SentencePieceTokenizer final : public Tokenizer {
 public:
  ~SentencePieceTokenizer() override;

  /// Loads `file`; `config` (may be null) is the model's tokenizer_config.json: add_bos_token
  /// (default true, as Llama's tokenizer), add_eos_token (default false) and added tokens.
  static core::Result<std::unique_ptr<SentencePieceTokenizer>> load(
      const std::filesystem::path& file, const TokenizerConfig* config);

  core::Result<std::vector<TokenId>> encode(std::string_view text,
                                            bool add_special_tokens) const override;
  core::Result<std::string> decode_bytes(std::span<const TokenId> ids,
                                         bool skip_special_tokens) const override;
  std::optional<std::string> token_to_piece(TokenId id) const override;
  std::optional<TokenId> piece_to_id(std::string_view piece) const override;
  std::size_t vocab_size() const override { return vocab_size_; }
  bool is_special(TokenId id) const override;
  std::string description() const override;

  /// The model's normalizer settings, read from the model file.
  struct NormalizerSettings {
    std::string name;  ///< "identity", "nmt_nfkc", ...
    bool add_dummy_prefix = true;
    bool remove_extra_whitespaces = true;
  };
  const NormalizerSettings& normalizer() const { return normalizer_; }

 private:
  /// How each id decodes.
  enum class PieceKind : unsigned char { kNormal, kByte, kSpecial };

  SentencePieceTokenizer(TokenizerSpecials specials,
                         std::unique_ptr<sentencepiece::SentencePieceProcessor> processor);

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  AddedVocabulary added_;
  std::vector<PieceKind> kinds_;     ///< By model id
  std::vector<std::string> pieces_;  ///< By model id: the decoded form ("▁" as " ", a byte)
  std::vector<bool> special_;        ///< By id, added tokens included
  std::size_t model_size_ = 0;
  std::size_t vocab_size_ = 0;
  NormalizerSettings normalizer_;
  std::string source_;
};

}  // namespace disaggd::engine
