// hex_digit_value: the value of one hexadecimal digit, for the parsers that read escapes
// (tokenizer byte tokens like <0x0A>, Jinja string escapes like \x41).
#pragma once

namespace disaggd::engine {

/// 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other character.
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace disaggd::engine
