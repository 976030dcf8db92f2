// Python string semantics on UTF-8 text.
#include "engine/chat/python_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace disaggd::engine::jinja {
namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

/// Code points that Python's str.isprintable() rejects, outside ASCII (an approximation of the
/// Unicode categories Cc, Cf, Zs, Zl, Zp, Cs and Co for the code points text usually holds).
bool is_non_printable(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD) {
    return true;
  }
  if (cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) ||
      (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 ||
      cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB)) {
    return true;
  }
  if ((cp >= 0x600 && cp <= 0x605) || cp == 0x61C || cp == 0x6DD || cp == 0x70F) {
    return true;
  }
  return (cp >= 0xD800 && cp <= 0xF8FF) || cp >= 0xF0000 || (cp >= 0xE0000 && cp <= 0xE007F);
}

bool is_line_break(char32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) ||
         cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

bool contains_code_point(std::string_view set, char32_t cp) {
  std::size_t pos = 0;
  while (pos < set.size()) {
    if (next_code_point(set, pos) == cp) {
      return true;
    }
  }
  return false;
}

/// The code point that ends just before byte `end`, and where it starts.
char32_t previous_code_point(std::string_view text, std::size_t end, std::size_t& start) {
  start = end - 1;
  std::size_t limit = end >= 4 ? end - 4 : 0;
  while (start > limit && is_continuation(static_cast<unsigned char>(text[start]))) {
    --start;
  }
  std::size_t pos = start;
  const char32_t cp = next_code_point(text, pos);
  if (pos != end) {  // not a valid sequence ending at `end`: take the last byte alone
    start = end - 1;
    pos = start;
    return next_code_point(text, pos);
  }
  return cp;
}

}  // namespace

char32_t next_code_point(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
  } else {
    ++pos;
    return lead;
  }
  if (pos + length > text.size()) {
    ++pos;
    return lead;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[pos + i]);
    if (!is_continuation(byte)) {
      ++pos;
      return lead;
    }
    cp = (cp << 6) | (byte & 0x3F);
  }
  const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return lead;
  }
  pos += length;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<std::size_t> code_point_offsets(std::string_view text) {
  std::vector<std::size_t> offsets;
  offsets.reserve(text.size() + 1);
  std::size_t pos = 0;
  while (pos < text.size()) {
    offsets.push_back(pos);
    next_code_point(text, pos);
  }
  offsets.push_back(text.size());
  return offsets;
}

std::size_t code_point_count(std::string_view text) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    next_code_point(text, pos);
    ++count;
  }
  return count;
}

bool is_py_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

namespace {

template <class Pred>
std::string_view strip_if(std::string_view text, bool left, bool right, Pred strip) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  if (left) {
    while (begin < end) {
      std::size_t next = begin;
      if (!strip(next_code_point(text, next))) {
        break;
      }
      begin = next;
    }
  }
  if (right) {
    while (end > begin) {
      std::size_t start = 0;
      if (!strip(previous_code_point(text, end, start))) {
        break;
      }
      end = start;
    }
  }
  return text.substr(begin, end - begin);
}

}  // namespace

std::string_view py_strip(std::string_view text, bool left, bool right) {
  return strip_if(text, left, right, is_py_space);
}

std::string_view py_strip_chars(std::string_view text, std::string_view chars, bool left,
                                bool right) {
  return strip_if(text, left, right,
                  [chars](char32_t cp) { return contains_code_point(chars, cp); });
}

std::vector<std::string> py_split(std::string_view text, std::optional<std::string_view> sep,
                                  long long maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    std::size_t start = 0;
    long long splits = 0;
    while (maxsplit < 0 || splits < maxsplit) {
      const std::size_t found = text.find(*sep, start);
      if (found == std::string_view::npos) {
        break;
      }
      parts.emplace_back(text.substr(start, found - start));
      start = found + sep->size();
      ++splits;
    }
    parts.emplace_back(text.substr(start));
    return parts;
  }
  std::size_t pos = 0;
  while (true) {
    while (pos < text.size()) {
      std::size_t next = pos;
      if (!is_py_space(next_code_point(text, next))) {
        break;
      }
      pos = next;
    }
    if (pos >= text.size()) {
      break;
    }
    if (maxsplit >= 0 && static_cast<long long>(parts.size()) == maxsplit) {
      parts.emplace_back(text.substr(pos));
      break;
    }
    const std::size_t start = pos;
    while (pos < text.size()) {
      std::size_t next = pos;
      if (is_py_space(next_code_point(text, next))) {
        break;
      }
      pos = next;
    }
    parts.emplace_back(text.substr(start, pos - start));
  }
  return parts;
}

std::vector<std::string> py_rsplit(std::string_view text, std::optional<std::string_view> sep,
                                   long long maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    std::size_t end = text.size();
    long long splits = 0;
    while (maxsplit < 0 || splits < maxsplit) {
      if (end < sep->size()) {
        break;
      }
      const std::size_t found = text.rfind(*sep, end - sep->size());
      if (found == std::string_view::npos) {
        break;
      }
      parts.emplace_back(text.substr(found + sep->size(), end - found - sep->size()));
      end = found;
      ++splits;
    }
    parts.emplace_back(text.substr(0, end));
  } else {
    std::size_t end = text.size();
    while (true) {
      while (end > 0) {
        std::size_t start = 0;
        if (!is_py_space(previous_code_point(text, end, start))) {
          break;
        }
        end = start;
      }
      if (end == 0) {
        break;
      }
      if (maxsplit >= 0 && static_cast<long long>(parts.size()) == maxsplit) {
        parts.emplace_back(text.substr(0, end));
        break;
      }
      std::size_t begin = end;
      while (begin > 0) {
        std::size_t start = 0;
        if (is_py_space(previous_code_point(text, begin, start))) {
          break;
        }
        begin = start;
      }
      parts.emplace_back(text.substr(begin, end - begin));
      end = begin;
    }
  }
  return {parts.rbegin(), parts.rend()};
}

std::vector<std::string> py_splitlines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t here = pos;
    const char32_t cp = next_code_point(text, pos);
    if (!is_line_break(cp)) {
      continue;
    }
    lines.emplace_back(text.substr(start, here - start));
    if (cp == '\r' && pos < text.size() && text[pos] == '\n') {
      ++pos;
    }
    start = pos;
  }
  if (start < text.size()) {
    lines.emplace_back(text.substr(start));
  }
  return lines;
}

std::string py_replace(std::string_view text, std::string_view old, std::string_view replacement,
                       long long count) {
  std::string out;
  long long done = 0;
  if (old.empty()) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
      if (count >= 0 && done >= count) {
        out.append(text.substr(pos));
        break;
      }
      out.append(replacement);
      ++done;
      if (pos == text.size()) {
        break;
      }
      const std::size_t start = pos;
      next_code_point(text, pos);
      out.append(text.substr(start, pos - start));
    }
    return out;
  }
  std::size_t start = 0;
  while (count < 0 || done < count) {
    const std::size_t found = text.find(old, start);
    if (found == std::string_view::npos) {
      break;
    }
    out.append(text.substr(start, found - start));
    out.append(replacement);
    start = found + old.size();
    ++done;
  }
  out.append(text.substr(start));
  return out;
}

std::size_t py_count(std::string_view text, std::string_view needle) {
  if (needle.empty()) {
    return code_point_count(text) + 1;
  }
  std::size_t count = 0;
  for (std::size_t pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string py_capitalize(std::string_view text) {
  std::string out = ascii_lower(text);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') {
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  }
  return out;
}

std::string py_repr_string(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = next_code_point(text, pos);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (is_non_printable(cp)) {
      std::array<char, 16> buffer{};
      const auto code = static_cast<unsigned>(cp);
      if (cp <= 0xFF) {
        std::snprintf(buffer.data(), buffer.size(), "\\x%02x", code);
      } else if (cp <= 0xFFFF) {
        std::snprintf(buffer.data(), buffer.size(), "\\u%04x", code);
      } else {
        std::snprintf(buffer.data(), buffer.size(), "\\U%08x", code);
      }
      out += buffer.data();
    } else {
      append_utf8(out, cp);
    }
  }
  out += quote;
  return out;
}

std::string py_float_repr(double value) {
  if (std::isnan(value)) {
    return "nan";
  }
  if (std::isinf(value)) {
    return value < 0 ? "-inf" : "inf";
  }
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                       std::chars_format::scientific);
  if (ec != std::errc()) {
    return "nan";
  }
  const std::string_view text(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
  std::string out;
  std::size_t pos = 0;
  if (text[0] == '-') {
    out += '-';
    pos = 1;
  }
  const std::size_t e = text.find('e');
  std::string digits;
  for (std::size_t i = pos; i < e; ++i) {
    if (text[i] != '.') {
      digits += text[i];
    }
  }
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(),
                  exponent);
  const int decpt = exponent + 1;  // position of the decimal point relative to the digits
  const int ndigits = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= ndigits) {
      out += digits;
      out.append(static_cast<std::size_t>(decpt - ndigits), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decpt));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(decpt));
    }
    return out;
  }
  out += digits[0];
  if (ndigits > 1) {
    out += '.';
    out += digits.substr(1);
  }
  std::array<char, 16> exp_text{};
  std::snprintf(exp_text.data(), exp_text.size(), "e%c%02d", exponent < 0 ? '-' : '+',
                exponent < 0 ? -exponent : exponent);
  out += exp_text.data();
  return out;
}

std::string code_point_substr(std::string_view text, std::size_t begin, std::size_t end) {
  std::size_t pos = 0;
  std::size_t index = 0;
  std::size_t begin_byte = text.size();
  std::size_t end_byte = text.size();
  while (pos < text.size()) {
    if (index == begin) {
      begin_byte = pos;
    }
    if (index == end) {
      end_byte = pos;
      break;
    }
    next_code_point(text, pos);
    ++index;
  }
  if (begin_byte > end_byte) {
    return {};
  }
  return std::string(text.substr(begin_byte, end_byte - begin_byte));
}

}  // namespace disaggd::engine::jinja
