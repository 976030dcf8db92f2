// The chat template lexer: template text into tokens, with Jinja's whitespace control
// ({%- -%}, {{- -}}, {#- -#}, trim_blocks, lstrip_blocks, {%+ +%}), comments and raw blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace disaggd::engine::jinja {

/// One token of a template.
struct Token {
  enum class Kind {
    kText,           ///< Literal output between tags (`text`).
    kVariableBegin,  ///< `{{`
    kVariableEnd,    ///< `}}`
    kBlockBegin,     ///< `{%`
    kBlockEnd,       ///< `%}`
    kName,           ///< An identifier (`text`).
    kString,         ///< A string literal, escapes decoded (`text`).
    kInteger,        ///< An integer literal (`integer`).
    kFloat,          ///< A float literal (`number`).
    kOperator,       ///< An operator or punctuation (`text`: "+", "//", "(", ...).
    kEnd,            ///< End of the template.
  };
  Kind kind = Kind::kEnd;
  std::string text;
  std::int64_t integer = 0;
  double number = 0;
  std::size_t offset = 0;  ///< Byte offset of the token in the normalized source.
};

/// How tags consume the whitespace around them (Jinja's Environment options).
struct LexerOptions {
  bool trim_blocks = true;    ///< Drop the first newline after a block or comment tag.
  bool lstrip_blocks = true;  ///< Drop spaces and tabs before a block or comment tag on its line.
};

/// Jinja's newline handling: "\r\n" and "\r" become "\n", and one trailing newline is dropped
/// (keep_trailing_newline=False).
std::string normalize_source(std::string_view source);

/// Splits a normalized source into tokens (ending with kEnd). Throws a kSyntax TemplateError.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options);

}  // namespace disaggd::engine::jinja
