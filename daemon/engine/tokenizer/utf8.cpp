// UTF-8 validation and repair, following the well-formed byte sequence table of Unicode §3.9.
#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

/// Allowed range of the second byte after `lead` (Unicode Table 3-7); later bytes are 80..BF.
bool second_byte_ok(unsigned char lead, unsigned char byte) {
  switch (lead) {
    case 0xE0:
      return byte >= 0xA0 && byte <= 0xBF;
    case 0xED:
      return byte >= 0x80 && byte <= 0x9F;
    case 0xF0:
      return byte >= 0x90 && byte <= 0xBF;
    case 0xF4:
      return byte >= 0x80 && byte <= 0x8F;
    default:
      return byte >= 0x80 && byte <= 0xBF;
  }
}

bool is_continuation(unsigned char byte) {
  return byte >= 0x80 && byte <= 0xBF;
}

/// Length of the maximal subpart of a sequence starting at `pos`: how many bytes, from `pos`, are a
/// prefix of some well-formed sequence (at least 1). `complete` tells whether they are a whole one.
std::size_t maximal_subpart(std::string_view text, std::size_t pos, bool& complete) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  const std::size_t need = utf8_sequence_length(lead);
  complete = false;
  if (need == 0) {
    return 1;
  }
  if (need == 1) {
    complete = true;
    return 1;
  }
  std::size_t length = 1;
  while (length < need && pos + length < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos + length]);
    const bool ok = length == 1 ? second_byte_ok(lead, byte) : is_continuation(byte);
    if (!ok) {
      return length;
    }
    ++length;
  }
  complete = length == need;
  return length;
}

}  // namespace

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    return 2;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    return 4;
  }
  return 0;
}

std::size_t utf8_valid_prefix_length(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    bool complete = false;
    const std::size_t length = maximal_subpart(text, pos, complete);
    if (!complete) {
      return pos;
    }
    pos += length;
  }
  return pos;
}

std::string utf8_repair(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      out.push_back(bytes[pos]);
      ++pos;
      continue;
    }
    bool complete = false;
    const std::size_t length = maximal_subpart(bytes, pos, complete);
    if (complete) {
      out.append(bytes.substr(pos, length));
    } else {
      out.append(kUtf8Replacement);
    }
    pos += length;
  }
  return out;
}

std::size_t utf8_incomplete_tail_length(std::string_view bytes) {
  // A sequence is at most 4 bytes, so an incomplete one starts within the last 3.
  const std::size_t first = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (std::size_t pos = first; pos < bytes.size(); ++pos) {
    const auto byte = static_cast<unsigned char>(bytes[pos]);
    if (utf8_sequence_length(byte) < 2) {
      continue;  // ASCII, a continuation byte or a byte that never leads
    }
    bool complete = false;
    const std::size_t length = maximal_subpart(bytes, pos, complete);
    if (!complete && pos + length == bytes.size()) {
      return length;
    }
  }
  return 0;
}

char32_t utf8_next_code_point(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  const std::size_t length = utf8_sequence_length(lead);
  char32_t cp = lead & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (std::size_t i = 1; i < length; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  }
  pos += length;
  return cp;
}

void utf8_append(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

}  // namespace disaggd::engine
