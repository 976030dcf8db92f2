// ByteLevel: GPT-2's reversible mapping of the 256 byte values onto printable code points.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace disaggd::engine {

/// GPT-2's `bytes_to_unicode` table, as used by the ByteLevel pre-tokenizer and decoder: printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100 and up, so every byte string
/// becomes a string of visible characters (a space becomes "Ġ", a newline "Ċ").
class ByteLevel {
 public:
  /// The shared instance.
  static const ByteLevel& instance();

  /// Appends the mapped form of every byte of `bytes` to `out`.
  void encode(std::string_view bytes, std::string& out) const;

  /// The bytes behind `mapped` when every code point of it comes from the table; nullopt otherwise
  /// (then tokenizers keep the text as it is, as Hugging Face's ByteLevel decoder does).
  std::optional<std::string> decode(std::string_view mapped) const;

  /// The mapped code point of one byte.
  char32_t code_point(unsigned char byte) const { return code_points_[byte]; }

 private:
  ByteLevel();

  std::array<char32_t, 256> code_points_{};
  std::array<std::string, 256> encoded_{};
  std::array<int, 324> byte_of_code_point_{};  ///< -1 where no byte maps to the code point
};

}  // namespace disaggd::engine
