// BpeModel: byte-pair encoding of pre-tokenized words with a vocabulary and ranked merges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

/// Hash for string keys that also accepts string_view lookups without a copy.
struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

/// The BPE model of a tokenizer.json (Hugging Face's `models::bpe::BPE`). Words are split into
/// characters, then the adjacent pair with the lowest merge rank is merged until none is left
/// (ties: leftmost first). Thread-safe; recent words are cached.
class BpeModel {
 public:
  /// The model's options (the fields of tokenizer.json's "model" object).
  struct Options {
    std::optional<std::string> unk_token;  ///< Used for characters missing from the vocabulary.
    bool byte_fallback = false;  ///< Missing characters become their "<0xNN>" byte tokens.
    bool fuse_unk = false;       ///< Consecutive unknown characters become one unk token.
    bool ignore_merges = false;  ///< A word that is itself in the vocabulary is taken whole.
  };

  /// A merge rule: the two token strings whose concatenation is the merged token.
  using Merge = std::pair<std::string, std::string>;

  /// Builds the model; kInvalidArgument for a merge whose parts or result are not in the
  /// vocabulary, a negative or duplicate id, or an unk_token missing from the vocabulary.
  static core::Result<std::unique_ptr<BpeModel>> create(
      std::vector<std::pair<std::string, TokenId>> vocab, const std::vector<Merge>& merges,
      Options options);

  /// Appends the ids of `word` to `out`. Characters with no token, no byte fallback and no unk
  /// token are dropped, as Hugging Face does.
  void tokenize(std::string_view word, std::vector<TokenId>& out) const;

  /// The id of a vocabulary string.
  std::optional<TokenId> token_to_id(std::string_view token) const;
  /// The string of `id`, or nullptr when no vocabulary entry has it.
  const std::string* id_to_token(TokenId id) const;
  /// One more than the highest id.
  std::size_t size() const { return tokens_.size(); }
  /// The unk token's id, when the model has one.
  std::optional<TokenId> unk_id() const { return unk_id_; }
  std::size_t merge_count() const { return merges_.size(); }

 private:
  BpeModel() = default;

  /// Tokenizes without the cache.
  void tokenize_uncached(std::string_view word, std::vector<TokenId>& out) const;
  /// The id of the single character `piece` (one UTF-8 code point) when the vocabulary has it.
  std::optional<TokenId> char_id(std::string_view piece, char32_t code_point) const;

  std::unordered_map<std::string, TokenId, TransparentStringHash, std::equal_to<>> vocab_;
  std::vector<std::string> tokens_;  ///< By id; "" with has_token_ false for gaps
  std::vector<bool> has_token_;
  /// (left id << 32 | right id) -> (rank, merged id).
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, TokenId>> merges_;
  std::vector<TokenId> small_char_ids_;  ///< Ids of single code points below U+0800, -1 if none
  std::vector<TokenId> byte_ids_;        ///< Ids of "<0xNN>", -1 if none (byte_fallback only)
  Options options_;
  std::optional<TokenId> unk_id_;

  static constexpr std::size_t kCacheCapacity = 1 << 16;
  static constexpr std::size_t kMaxCachedWordBytes = 256;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>, TransparentStringHash,
                             std::equal_to<>>
      cache_;
};

}  // namespace disaggd::engine
