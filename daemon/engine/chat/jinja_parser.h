// The chat template parser: tokens into a syntax tree, following Jinja 3's grammar and operator
// precedence for the subset that chat templates use.
#pragma once

#include <string_view>

#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_lexer.h"

namespace disaggd::engine::jinja {

/// Deepest nesting of blocks and expressions a template may have.
inline constexpr int kMaxParseNesting = 100;

/// Normalizes, tokenizes and parses `source`. Throws a kSyntax TemplateError naming the offset of
/// the problem; unknown filters and tests are errors here, as in Jinja.
Template parse_template(std::string_view source, const LexerOptions& options);

}  // namespace disaggd::engine::jinja
