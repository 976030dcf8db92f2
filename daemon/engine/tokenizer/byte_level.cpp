// GPT-2's byte-to-unicode table, built the way openai/gpt-2's encoder.py builds it.
#include "engine/tokenizer/byte_level.h"

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {

const ByteLevel& ByteLevel::instance() {
  static const ByteLevel table;
  return table;
}

ByteLevel::ByteLevel() {
  byte_of_code_point_.fill(-1);
  char32_t next = 256;
  for (int byte = 0; byte < 256; ++byte) {
    const bool printable =
        (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
    const char32_t cp = printable ? static_cast<char32_t>(byte) : next++;
    code_points_[byte] = cp;
    utf8_append(encoded_[byte], cp);
    byte_of_code_point_[cp] = byte;
  }
}

void ByteLevel::encode(std::string_view bytes, std::string& out) const {
  for (const char c : bytes) {
    out.append(encoded_[static_cast<unsigned char>(c)]);
  }
}

std::optional<std::string> ByteLevel::decode(std::string_view mapped) const {
  std::string bytes;
  bytes.reserve(mapped.size());
  std::size_t pos = 0;
  while (pos < mapped.size()) {
    const std::size_t length = utf8_sequence_length(static_cast<unsigned char>(mapped[pos]));
    if (length == 0 || length > 2 || pos + length > mapped.size() ||
        (length == 2 && (static_cast<unsigned char>(mapped[pos + 1]) & 0xC0) != 0x80)) {
      return std::nullopt;  // every mapped code point is below U+0800: one or two bytes
    }
    const char32_t cp = utf8_next_code_point(mapped, pos);
    if (cp >= byte_of_code_point_.size() || byte_of_code_point_[cp] < 0) {
      return std::nullopt;
    }
    bytes.push_back(static_cast<char>(byte_of_code_point_[cp]));
  }
  return bytes;
}

}  // namespace disaggd::engine
