// Tokenizer: the interface every tokenizer of the engine implements (text <-> token ids).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace disaggd::engine {

/// A token id, as the model ABI passes it (`int32_t`).
using TokenId = std::int32_t;

/// The highest token id a tokenizer file may use. Real vocabularies have a few hundred thousand
/// ids at most; the limit keeps a corrupt file from making the loader allocate tables for
/// billions of them.
inline constexpr TokenId kMaxTokenId = (1 << 24) - 1;

/// The special tokens a tokenizer knows and what `encode(text, true)` adds around the text.
struct TokenizerSpecials {
  /// Beginning of sequence, when the tokenizer has one.
  std::optional<TokenId> bos;
  /// End of sequence, when known (generation_config.json may list more stop ids).
  std::optional<TokenId> eos;
  /// The unknown token, when the model has one.
  std::optional<TokenId> unk;
  /// Added before the text by encode(text, true): usually BOS or nothing.
  std::vector<TokenId> prefix;
  /// Added after the text by encode(text, true): usually nothing.
  std::vector<TokenId> suffix;
};

/// Converts text to token ids and back. Implementations are immutable after loading, so one
/// instance serves every thread at once.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  /// The ids of `text`, which must be well-formed UTF-8 (else kInvalidArgument). Added and special
  /// tokens written in the text ("<|im_start|>") become their single id. With
  /// `add_special_tokens`, `specials().prefix` and `specials().suffix` are added around the text.
  virtual core::Result<std::vector<TokenId>> encode(std::string_view text,
                                                    bool add_special_tokens) const = 0;

  /// The text of `ids`; with `skip_special_tokens` special tokens contribute nothing. Bytes that do
  /// not form UTF-8 (an incomplete byte-fallback sequence) become U+FFFD, one per maximal invalid
  /// subpart. An id outside [0, vocab_size()) or without a token is kInvalidArgument.
  core::Result<std::string> decode(std::span<const TokenId> ids, bool skip_special_tokens) const;

  /// The bytes behind decode(): the same text before ill-formed UTF-8 is repaired. The incremental
  /// detokenizer builds on it.
  virtual core::Result<std::string> decode_bytes(std::span<const TokenId> ids,
                                                 bool skip_special_tokens) const = 0;

  /// The token string of `id` as the vocabulary spells it ("Ġthe", "▁the", "<0x0A>", "<s>");
  /// nullopt when no token has that id.
  virtual std::optional<std::string> token_to_piece(TokenId id) const = 0;

  /// The id of a token string spelled as in the vocabulary, added tokens included.
  virtual std::optional<TokenId> piece_to_id(std::string_view piece) const = 0;

  /// One more than the highest token id (the model's embedding may have more rows).
  virtual std::size_t vocab_size() const = 0;

  /// Whether `id` is a special token (BOS, EOS, chat markers, ...): what skip_special_tokens drops.
  virtual bool is_special(TokenId id) const = 0;

  /// What kind of tokenizer this is and where it came from, for logs.
  virtual std::string description() const = 0;

  /// The special tokens, and what encode(text, true) adds.
  const TokenizerSpecials& specials() const { return specials_; }
  std::optional<TokenId> bos_id() const { return specials_.bos; }
  std::optional<TokenId> eos_id() const { return specials_.eos; }
  std::optional<TokenId> unk_id() const { return specials_.unk; }

 protected:
  explicit Tokenizer(TokenizerSpecials specials) : specials_(std::move(specials)) {}

  /// kInvalidArgument naming `id` when it lies outside [0, vocab_size()).
  core::Status check_id(TokenId id) const;

 private:
  TokenizerSpecials specials_;
};

}  // namespace disaggd::engine
