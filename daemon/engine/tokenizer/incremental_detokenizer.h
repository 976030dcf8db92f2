// IncrementalDetokenizer: turns generated token ids into streamed text, one id at a time.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

/// Streams the text of generated tokens. Guarantees:
///   - every chunk returned by push() and finish() is well-formed UTF-8; bytes of a character
///     that is not complete yet (an emoji spread over byte-fallback tokens, a CJK character split
///     across byte-level tokens) are held back until it is;
///   - the concatenation of all chunks equals
///     decode(context + generated).substr(decode(context).size()): the text the generated tokens
///     add after the prompt, with the space a SentencePiece tokenizer puts before the first
///     generated word (" was", not "was"). With an empty context it equals decode(generated).
///     (When the context's own bytes end inside a character, that character's rest appears as
///     U+FFFD in the stream; a prompt encoded from text never does.)
/// It decodes a small window of recent ids per step, so a step costs O(1) in the length so far.
class IncrementalDetokenizer {
 public:
  /// `tokenizer` must outlive this object. `context` holds the prompt ids already shown to the
  /// client (may be empty).
  IncrementalDetokenizer(const Tokenizer& tokenizer, std::span<const TokenId> context,
                         bool skip_special_tokens);

  /// Adds one generated id and returns the new text it completes (often empty while a character
  /// is incomplete). An invalid id is an error and leaves the state as it was.
  core::Result<std::string> push(TokenId id);

  /// Ends the stream: returns what was held back, an incomplete trailing character becoming
  /// U+FFFD. Later pushes start after it.
  std::string finish();

  /// Bytes held back, waiting for the rest of a character.
  std::size_t pending_bytes() const { return pending_.size(); }

 private:
  /// Moves the window start to the last id that decodes to something, so the next decode of the
  /// window treats its first token as the full decode does.
  void slide_window();
  /// The complete characters at the front of pending_ (repairing what can never become valid).
  std::string take_complete();

  const Tokenizer& tokenizer_;
  bool skip_special_tokens_;
  std::vector<TokenId> window_;  ///< Recent ids; the first ones were already decoded
  std::size_t read_offset_ = 0;  ///< window_[read_offset_..] are ids not yet decoded
  std::string pending_;          ///< Decoded bytes not yet returned
};

}  // namespace disaggd::engine
