// AddedVocabulary: added and special tokens, found in text before the model tokenizes it.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

/// One added token, with the flags of Hugging Face's AddedToken.
struct AddedToken {
  TokenId id = 0;
  std::string content;
  bool special = false;      ///< Dropped by decode(skip_special_tokens = true).
  bool lstrip = false;       ///< Swallows the whitespace before it.
  bool rstrip = false;       ///< Swallows the whitespace after it.
  bool single_word = false;  ///< Matches only where no word character touches it.
  bool normalized = false;   ///< Matched in normalized text rather than in the raw input.
};

/// The added tokens of a tokenizer. Matching is leftmost-longest, as Hugging Face's
/// aho-corasick matcher does: at the first position where any token matches, the longest wins.
class AddedVocabulary {
 public:
  /// A piece of the input: either plain text (`id` empty) or one added token.
  struct Segment {
    /// The text; for a token, the matched content (without whitespace it stripped).
    std::string_view text;
    /// The added token's id; empty for plain text.
    std::optional<TokenId> id;
    /// Where `text` starts in the split text.
    std::size_t offset = 0;
  };

  /// Adds `token`; a token with the id of an earlier one replaces it.
  void add(AddedToken token);

  /// Splits `text` at the tokens whose `normalized` flag equals `normalized`. Plain-text segments
  /// may be empty only when `text` is; no two plain-text segments are adjacent.
  std::vector<Segment> split(std::string_view text, bool normalized) const;

  /// The token with `id`, or nullptr.
  const AddedToken* find(TokenId id) const;
  /// The id of the token spelled `content`.
  std::optional<TokenId> find(std::string_view content) const;

  /// Whether any token is matched in normalized (true) or raw (false) text.
  bool has_tokens(bool normalized) const {
    return normalized ? normalized_count_ > 0 : raw_count_ > 0;
  }
  bool empty() const { return tokens_.empty(); }
  /// The highest id, or -1 when empty.
  TokenId max_id() const { return max_id_; }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  void rebuild();

  std::vector<AddedToken> tokens_;
  std::unordered_map<TokenId, std::size_t> by_id_;
  std::unordered_map<std::string, TokenId> by_content_;
  /// Candidates by first byte, longest first (indexes into tokens_).
  std::array<std::vector<std::size_t>, 256> by_first_byte_;
  std::size_t raw_count_ = 0;
  std::size_t normalized_count_ = 0;
  TokenId max_id_ = -1;
};

}  // namespace disaggd::engine
