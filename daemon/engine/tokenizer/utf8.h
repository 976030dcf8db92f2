// UTF-8 helpers for the tokenizers: validation, lossy repair and code point iteration.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace disaggd::engine {

/// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

/// Offset of the first byte that does not start a well-formed UTF-8 sequence, or `text.size()`
/// when all of `text` is well-formed (no overlongs, surrogates or code points above U+10FFFF).
std::size_t utf8_valid_prefix_length(std::string_view text);

/// True when all of `text` is well-formed UTF-8.
inline bool is_valid_utf8(std::string_view text) {
  return utf8_valid_prefix_length(text) == text.size();
}

/// `bytes` with every ill-formed sequence replaced by U+FFFD, one per maximal subpart (the
/// Unicode and WHATWG practice, and Rust's `String::from_utf8_lossy`).
std::string utf8_repair(std::string_view bytes);

/// Length (0 to 3) of the trailing bytes of `bytes` that begin a UTF-8 sequence and could still
/// become a well-formed code point when more bytes follow. 0 when the text ends on a complete
/// code point or on bytes that can never become valid.
std::size_t utf8_incomplete_tail_length(std::string_view bytes);

/// The code point that starts at `pos` in well-formed UTF-8 `text`; advances `pos` past it.
char32_t utf8_next_code_point(std::string_view text, std::size_t& pos);

/// Appends the UTF-8 encoding of `code_point` (which must be a scalar value) to `out`.
void utf8_append(std::string& out, char32_t code_point);

/// Number of bytes of the sequence led by `lead`: 1 to 4, or 0 for a byte that cannot lead.
std::size_t utf8_sequence_length(unsigned char lead);

}  // namespace disaggd::engine
