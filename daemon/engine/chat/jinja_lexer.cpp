// The chat template lexer, following Jinja 3's lexer rules for the default delimiters.
#include "engine/chat/jinja_lexer.h"

#include <array>
#include <charconv>
#include <cstdlib>

#include "engine/chat/jinja_error.h"
#include "engine/chat/python_text.h"
#include "engine/common/hex_digit.h"

namespace disaggd::engine::jinja {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

int hex_value(char c) {
  return hex_digit_value(c);
}

[[noreturn]] void syntax_error(const std::string& message, std::size_t offset) {
  throw TemplateError(TemplateError::Kind::kSyntax, message, offset);
}

class Lexer {
 public:
  Lexer(std::string_view source, const LexerOptions& options) : src_(source), options_(options) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      const std::size_t tag = find_tag_start(pos_);
      if (tag == std::string_view::npos) {
        emit_text(src_.substr(pos_), pos_);
        pos_ = src_.size();
        break;
      }
      lex_tag(tag);
    }
    Token end;
    end.kind = Token::Kind::kEnd;
    end.offset = src_.size();
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  std::size_t find_tag_start(std::size_t from) const {
    for (std::size_t i = src_.find('{', from); i != std::string_view::npos;
         i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return std::string_view::npos;
  }

  bool starts_with(std::size_t at, std::string_view text) const {
    return src_.substr(at, text.size()) == text;
  }

  /// End of a run of Python whitespace starting at `at`.
  std::size_t skip_space(std::size_t at) const {
    while (at < src_.size()) {
      std::size_t next = at;
      if (!is_py_space(next_code_point(src_, next))) {
        break;
      }
      at = next;
    }
    return at;
  }

  /// The text before a tag, with the tag's whitespace control applied (Jinja's OptionalLStrip).
  std::string_view strip_before_tag(std::string_view text, char sign, bool is_variable) const {
    if (sign == '-') {
      return py_strip(text, false, true);
    }
    if (sign != '+' && options_.lstrip_blocks && !is_variable) {
      const std::size_t newline = text.rfind('\n');
      const std::size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
      if (line_start > 0 || line_starting_) {
        const std::string_view rest = text.substr(line_start);
        if (!rest.empty() && py_strip(rest, true, false).empty()) {
          return text.substr(0, line_start);
        }
      }
    }
    return text;
  }

  void emit_text(std::string_view text, std::size_t offset) {
    if (text.empty()) {
      return;
    }
    Token token;
    token.kind = Token::Kind::kText;
    token.text = std::string(text);
    token.offset = offset;
    tokens_.push_back(std::move(token));
  }

  void emit(Token::Kind kind, std::size_t offset, std::string text = {}) {
    Token token;
    token.kind = kind;
    token.offset = offset;
    token.text = std::move(text);
    tokens_.push_back(std::move(token));
  }

  /// The end of a block-style closing delimiter ("+%}", "-%}\s*", "%}\n?") at `at`, or npos.
  std::size_t match_close(std::size_t at, char mark) const {
    const std::string close{mark, '}'};
    if ((src_[at] == '+' || src_[at] == '-') && starts_with(at + 1, close)) {
      return src_[at] == '+' ? at + 3 : skip_space(at + 3);
    }
    if (starts_with(at, close)) {
      std::size_t end = at + 2;
      if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') {
        ++end;
      }
      return end;
    }
    return std::string_view::npos;
  }

  /// `{% raw %}` at `after` (just past "{%" and its sign): the end of the tag, or npos.
  std::size_t match_raw_begin(std::size_t after) const {
    std::size_t at = skip_space(after);
    if (!starts_with(at, "raw")) {
      return std::string_view::npos;
    }
    at = skip_space(at + 3);
    if (starts_with(at, "-%}")) {
      return skip_space(at + 3);
    }
    if (starts_with(at, "%}")) {
      return at + 2;
    }
    return std::string_view::npos;
  }

  void lex_tag(std::size_t tag) {
    const char kind = src_[tag + 1];
    std::size_t after = tag + 2;
    char sign = 0;
    if (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) {
      sign = src_[after];
      ++after;
    }
    const std::size_t raw_end = kind == '%' ? match_raw_begin(after) : std::string_view::npos;
    emit_text(strip_before_tag(src_.substr(pos_, tag - pos_), sign, kind == '{'), pos_);
    line_starting_ = false;
    if (raw_end != std::string_view::npos) {
      line_starting_ = src_[raw_end - 1] == '\n';
      lex_raw(tag, raw_end);
    } else if (kind == '#') {
      lex_comment(tag, after);
    } else {
      lex_expression_tag(tag, after, kind == '{');
    }
  }

  void lex_raw(std::size_t tag, std::size_t body) {
    for (std::size_t at = src_.find("{%", body); at != std::string_view::npos;
         at = src_.find("{%", at + 1)) {
      std::size_t p = at + 2;
      char sign = 0;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) {
        sign = src_[p];
        ++p;
      }
      p = skip_space(p);
      if (!starts_with(p, "endraw")) {
        continue;
      }
      p = skip_space(p + 6);
      if (p >= src_.size()) {
        continue;
      }
      const std::size_t end = match_close(p, '%');
      if (end == std::string_view::npos) {
        continue;
      }
      emit_text(strip_before_tag(src_.substr(body, at - body), sign, false), body);
      pos_ = end;
      line_starting_ = src_[end - 1] == '\n';
      return;
    }
    syntax_error("missing {% endraw %} for this {% raw %}", tag);
  }

  void lex_comment(std::size_t tag, std::size_t after) {
    for (std::size_t at = src_.find("#}", after); at != std::string_view::npos;
         at = src_.find("#}", at + 1)) {
      std::size_t start = at;
      if (at > after && (src_[at - 1] == '-' || src_[at - 1] == '+')) {
        start = at - 1;
      }
      pos_ = match_close(start, '#');
      line_starting_ = src_[pos_ - 1] == '\n';
      return;
    }
    syntax_error("missing '#}' to close this comment", tag);
  }

  void lex_expression_tag(std::size_t tag, std::size_t after, bool is_variable) {
    emit(is_variable ? Token::Kind::kVariableBegin : Token::Kind::kBlockBegin, tag);
    std::string balance;  // closing brackets expected, innermost last
    std::size_t at = after;
    while (true) {
      if (at >= src_.size()) {
        syntax_error(
            is_variable ? "missing '}}' to close this '{{'" : "missing '%}' to close this '{%'",
            tag);
      }
      if (balance.empty()) {
        std::size_t end = std::string_view::npos;
        if (is_variable) {
          if (starts_with(at, "-}}")) {
            end = skip_space(at + 3);
          } else if (starts_with(at, "}}")) {
            end = at + 2;
          }
        } else {
          end = match_close(at, '%');
        }
        if (end != std::string_view::npos) {
          emit(is_variable ? Token::Kind::kVariableEnd : Token::Kind::kBlockEnd, at);
          pos_ = end;
          line_starting_ = src_[end - 1] == '\n';
          return;
        }
      }
      at = lex_one(at, balance);
    }
  }

  /// Lexes one token (or a run of whitespace) inside a tag at `at`; returns the position after.
  std::size_t lex_one(std::size_t at, std::string& balance) {
    std::size_t next = at;
    if (is_py_space(next_code_point(src_, next))) {
      return skip_space(at);
    }
    const char c = src_[at];
    if (is_digit(c)) {
      return lex_number(at);
    }
    if (is_name_start(c)) {
      std::size_t end = at;
      while (end < src_.size() && is_name_char(src_[end])) {
        ++end;
      }
      emit(Token::Kind::kName, at, std::string(src_.substr(at, end - at)));
      return end;
    }
    if (c == '\'' || c == '"') {
      return lex_string(at);
    }
    static constexpr std::array<std::string_view, 6> kTwoChar = {
        "//", "**", "==", "!=", ">=", "<="};
    for (const std::string_view op : kTwoChar) {
      if (starts_with(at, op)) {
        emit(Token::Kind::kOperator, at, std::string(op));
        return at + 2;
      }
    }
    static constexpr std::string_view kOneChar = "+-/*%~[](){}><=.:|,;";
    if (kOneChar.find(c) == std::string_view::npos) {
      std::size_t end = at;
      next_code_point(src_, end);
      syntax_error("unexpected character '" + std::string(src_.substr(at, end - at)) + "'", at);
    }
    if (c == '(' || c == '[' || c == '{') {
      balance += c == '(' ? ')' : (c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) {
        syntax_error(std::string("unexpected '") + c + "'", at);
      }
      if (balance.back() != c) {
        syntax_error(std::string("unexpected '") + c + "', expected '" + balance.back() + "'", at);
      }
      balance.pop_back();
    }
    emit(Token::Kind::kOperator, at, std::string(1, c));
    return at + 1;
  }

  /// `(\d+_)*\d+` at `at`: its end, or npos.
  std::size_t match_digits(std::size_t at) const {
    if (at >= src_.size() || !is_digit(src_[at])) {
      return std::string_view::npos;
    }
    while (true) {
      while (at < src_.size() && is_digit(src_[at])) {
        ++at;
      }
      if (at + 1 < src_.size() && src_[at] == '_' && is_digit(src_[at + 1])) {
        ++at;
        continue;
      }
      return at;
    }
  }

  /// Jinja's float_re at `at`: its end, or npos.
  std::size_t match_float(std::size_t at) const {
    if (at > 0 && src_[at - 1] == '.') {
      return std::string_view::npos;
    }
    const std::size_t whole = match_digits(at);
    if (whole == std::string_view::npos) {
      return std::string_view::npos;
    }
    std::size_t fraction = std::string_view::npos;
    if (whole < src_.size() && src_[whole] == '.') {
      fraction = match_digits(whole + 1);
    }
    std::size_t exponent = fraction != std::string_view::npos ? fraction : whole;
    if (exponent < src_.size() && (src_[exponent] == 'e' || src_[exponent] == 'E')) {
      std::size_t p = exponent + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) {
        ++p;
      }
      const std::size_t end = match_digits(p);
      if (end != std::string_view::npos) {
        return end;
      }
    }
    return fraction;
  }

  std::size_t lex_number(std::size_t at) {
    const std::size_t float_end = match_float(at);
    if (float_end != std::string_view::npos) {
      std::string text;
      for (const char c : src_.substr(at, float_end - at)) {
        if (c != '_') {
          text += c;
        }
      }
      Token token;
      token.kind = Token::Kind::kFloat;
      token.offset = at;
      token.number = std::strtod(text.c_str(), nullptr);
      token.text = text;
      tokens_.push_back(std::move(token));
      return float_end;
    }
    int base = 10;
    std::size_t digits = at;
    std::size_t end = at;
    const char prefix = at + 1 < src_.size() ? static_cast<char>(src_[at + 1] | 0x20) : 0;
    if (src_[at] == '0' && (prefix == 'b' || prefix == 'o' || prefix == 'x')) {
      base = prefix == 'b' ? 2 : (prefix == 'o' ? 8 : 16);
      digits = at + 2;
      end = digits;
      while (true) {
        std::size_t p = end;
        if (p < src_.size() && src_[p] == '_') {
          ++p;
        }
        if (p < src_.size() && hex_value(src_[p]) >= 0 && hex_value(src_[p]) < base) {
          end = p + 1;
        } else {
          break;
        }
      }
      if (end == digits) {  // "0x" without digits: the integer 0 followed by a name
        base = 10;
        digits = at;
        end = at + 1;
      }
    } else {
      end = at + 1;
      while (true) {
        std::size_t p = end;
        if (p < src_.size() && src_[p] == '_') {
          ++p;
        }
        if (p < src_.size() && is_digit(src_[p]) && (src_[at] != '0' || src_[p] == '0')) {
          end = p + 1;
        } else {
          break;
        }
      }
    }
    std::string text;
    for (const char c : src_.substr(digits, end - digits)) {
      if (c != '_') {
        text += c;
      }
    }
    Token token;
    token.kind = Token::Kind::kInteger;
    token.offset = at;
    token.text = std::string(src_.substr(at, end - at));
    const auto [ptr, ec] =
        std::from_chars(text.data(), text.data() + text.size(), token.integer, base);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      syntax_error("integer literal " + token.text + " is too large", at);
    }
    tokens_.push_back(std::move(token));
    return end;
  }

  std::size_t lex_string(std::size_t at) {
    const char quote = src_[at];
    std::size_t end = at + 1;
    while (end < src_.size() && src_[end] != quote) {
      end += src_[end] == '\\' ? 2 : 1;
    }
    if (end >= src_.size()) {
      syntax_error("unterminated string literal", at);
    }
    Token token;
    token.kind = Token::Kind::kString;
    token.offset = at;
    token.text = unescape(src_.substr(at + 1, end - at - 1), at);
    tokens_.push_back(std::move(token));
    return end + 1;
  }

  /// Python's "unicode-escape" decoding of a string literal's body.
  static std::string unescape(std::string_view body, std::size_t offset) {
    std::string out;
    char32_t pending_high = 0;  // a \uD8xx waiting for its low surrogate
    auto flush_high = [&] {
      if (pending_high != 0) {
        append_utf8(out, 0xFFFD);
        pending_high = 0;
      }
    };
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\\' || i + 1 >= body.size()) {
        flush_high();
        out += body[i];
        continue;
      }
      const char e = body[++i];
      char32_t cp = 0;
      std::size_t hex_digits = 0;
      switch (e) {
        case '\n':
          continue;
        case '\\':
        case '\'':
        case '"':
          flush_high();
          out += e;
          continue;
        case 'a':
          cp = 7;
          break;
        case 'b':
          cp = 8;
          break;
        case 'f':
          cp = 12;
          break;
        case 'n':
          cp = '\n';
          break;
        case 'r':
          cp = '\r';
          break;
        case 't':
          cp = '\t';
          break;
        case 'v':
          cp = 11;
          break;
        case 'x':
          hex_digits = 2;
          break;
        case 'u':
          hex_digits = 4;
          break;
        case 'U':
          hex_digits = 8;
          break;
        case 'N':
          syntax_error("\\N{...} escapes are not supported", offset);
        default:
          if (e >= '0' && e <= '7') {
            cp = static_cast<char32_t>(e - '0');
            for (int n = 0;
                 n < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++n) {
              cp = cp * 8 + static_cast<char32_t>(body[++i] - '0');
            }
            break;
          }
          flush_high();
          out += '\\';
          out += e;
          continue;
      }
      if (hex_digits > 0) {
        for (std::size_t n = 0; n < hex_digits; ++n) {
          if (i + 1 >= body.size() || hex_value(body[i + 1]) < 0) {
            syntax_error(std::string("truncated \\") + e + std::string(hex_digits, 'X') + " escape",
                         offset);
          }
          cp = cp * 16 + static_cast<char32_t>(hex_value(body[++i]));
        }
        if (cp > 0x10FFFF) {
          syntax_error("illegal Unicode character in escape", offset);
        }
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        flush_high();
        pending_high = cp;
        continue;
      }
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        if (pending_high != 0) {
          append_utf8(out, 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00));
          pending_high = 0;
        } else {
          append_utf8(out, 0xFFFD);
        }
        continue;
      }
      flush_high();
      append_utf8(out, cp);
    }
    flush_high();
    return out;
  }

  std::string_view src_;
  LexerOptions options_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  bool line_starting_ = true;
};

}  // namespace

std::string normalize_source(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') {
        ++i;
      }
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(source, options).run();
}

}  // namespace disaggd::engine::jinja
