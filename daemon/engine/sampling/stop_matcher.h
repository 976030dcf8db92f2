// StopMatcher: finds the OpenAI `stop` strings in streamed text and holds back what might become
// one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace disaggd::engine {

/// What StopMatcher::push() allows to be sent.
struct StopResult {
  std::string emit;         ///< Text safe to send to the client now (possibly empty).
  bool stopped = false;     ///< A stop string appeared; generation should end.
  int32_t stop_index = -1;  ///< When stopped: which stop string, as an index into the list given.
};

/// Streams generated text and cuts it at the first stop string, as the OpenAI API does: the text
/// returned ends right before the stop string, which is not included.
///
/// Text is fed piece by piece (the incremental detokenizer's output, one token at a time). Any
/// tail of the text that is the start of some stop string is held back until the following text
/// shows whether the stop string completes, so a stop string spread over several tokens is never
/// partly sent. When several stop strings are present once a piece arrives, the cut is at the one
/// that starts first. Matching is byte by byte (KMP automata, one per stop string), so a push costs
/// time linear in its own length times the number of stop strings, whatever the stop strings'
/// lengths; at most (longest stop string - 1) bytes are held. Fed well-formed UTF-8 with
/// well-formed stop strings, every emitted chunk is well-formed UTF-8.
class StopMatcher {
 public:
  /// Empty stop strings are ignored (requests with them are rejected before).
  explicit StopMatcher(std::span<const std::string> stops);

  /// Adds the next piece of text. Once stopped, returns {"", true, index} and ignores the text.
  StopResult push(std::string_view new_text);

  /// Ends the stream without a stop string (length limit, end-of-sequence token): returns the text
  /// held back ("" after a stop) and resets the matcher to its initial state.
  std::string flush();

  /// True once a stop string was found (until flush()).
  bool stopped() const { return stop_index_ >= 0; }

  /// Bytes received but not yet returned.
  std::size_t held_bytes() const { return held_.size(); }

 private:
  /// One stop string and its KMP automaton state.
  struct Pattern {
    std::string text;
    std::vector<std::size_t> failure;  ///< KMP prefix function of text
    std::size_t state = 0;             ///< Longest tail of the stream that starts text
    int32_t index = 0;                 ///< Position in the constructor's list
  };

  std::vector<Pattern> patterns_;
  std::size_t longest_ = 0;  ///< Length of the longest stop string
  std::string held_;         ///< Text received and not yet returned
  int32_t stop_index_ = -1;  ///< The stop string found, -1 while none
};

}  // namespace disaggd::engine
