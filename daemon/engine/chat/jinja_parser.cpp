// The chat template parser (recursive descent, Jinja 3's precedence: condition < or < and < not <
// comparison < + - < ~ < * / // % < ** < unary, filters and tests).
#include "engine/chat/jinja_parser.h"

#include <algorithm>
#include <initializer_list>

#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_filters.h"
#include "engine/chat/jinja_tests.h"

namespace disaggd::engine::jinja {
namespace {

using Kind = Token::Kind;

std::string describe_token(const Token& token) {
  switch (token.kind) {
    case Kind::kText:
      return "template text";
    case Kind::kVariableBegin:
      return "'{{'";
    case Kind::kVariableEnd:
      return "'}}'";
    case Kind::kBlockBegin:
      return "'{%'";
    case Kind::kBlockEnd:
      return "'%}'";
    case Kind::kName:
      return "'" + token.text + "'";
    case Kind::kString:
      return "a string";
    case Kind::kInteger:
    case Kind::kFloat:
      return "a number";
    case Kind::kOperator:
      return "'" + token.text + "'";
    case Kind::kEnd:
      return "the end of the template";
  }
  return "a token";
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens)
      : source_(source), tokens_(std::move(tokens)) {}

  Body parse() {
    Body body = parse_body({});
    return body;
  }

 private:
  struct OpenBlock {
    std::string tag;
    std::size_t offset;
  };

  /// Counts nesting while alive; fails past kMaxParseNesting.
  class NestingGuard {
   public:
    NestingGuard(Parser& parser, std::size_t offset) : parser_(parser) {
      if (++parser_.depth_ > kMaxParseNesting) {
        --parser_.depth_;  // the destructor does not run when the constructor throws
        parser_.fail("the template nests blocks or expressions deeper than " +
                         std::to_string(kMaxParseNesting) + " levels",
                     offset);
      }
    }
    ~NestingGuard() { --parser_.depth_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    Parser& parser_;
  };

  [[noreturn]] void fail(const std::string& message, std::size_t offset) const {
    throw TemplateError(TemplateError::Kind::kSyntax, message, offset);
  }

  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) {
      ++pos_;
    }
    return token;
  }
  static bool is_op(const Token& token, std::string_view op) {
    return token.kind == Kind::kOperator && token.text == op;
  }
  static bool is_name(const Token& token, std::string_view name) {
    return token.kind == Kind::kName && token.text == name;
  }
  bool skip_op(std::string_view op) {
    if (is_op(peek(), op)) {
      next();
      return true;
    }
    return false;
  }
  bool skip_name(std::string_view name) {
    if (is_name(peek(), name)) {
      next();
      return true;
    }
    return false;
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) {
      fail("expected '" + std::string(op) + "', got " + describe_token(peek()), peek().offset);
    }
  }
  std::string expect_name(std::string_view what) {
    if (peek().kind != Kind::kName) {
      fail("expected " + std::string(what) + ", got " + describe_token(peek()), peek().offset);
    }
    return next().text;
  }
  void expect_block_end(std::string_view tag) {
    if (peek().kind != Kind::kBlockEnd) {
      fail("expected '%}' to end the '" + std::string(tag) + "' tag, got " + describe_token(peek()),
           peek().offset);
    }
    next();
  }

  // --- statements ---------------------------------------------------------------------------

  Body parse_body(std::initializer_list<std::string_view> end_tags) {
    Body body;
    while (true) {
      const Token& token = peek();
      switch (token.kind) {
        case Kind::kText:
          body.push_back(std::make_unique<TextStmt>(token.offset, token.text));
          next();
          break;
        case Kind::kVariableBegin: {
          const std::size_t at = next().offset;
          ExprPtr value = parse_tuple(true, false);
          if (peek().kind != Kind::kVariableEnd) {
            fail("expected '}}', got " + describe_token(peek()), peek().offset);
          }
          next();
          body.push_back(std::make_unique<OutputStmt>(at, std::move(value)));
          break;
        }
        case Kind::kBlockBegin: {
          const Token& tag = peek(1);
          if (tag.kind != Kind::kName) {
            fail("expected a tag name after '{%', got " + describe_token(tag), tag.offset);
          }
          if (std::find(end_tags.begin(), end_tags.end(), tag.text) != end_tags.end()) {
            return body;
          }
          body.push_back(parse_statement());
          break;
        }
        case Kind::kEnd:
          if (end_tags.size() != 0) {
            const OpenBlock& open = open_.back();
            fail("'{% " + open.tag + " %}' is never closed: expected '{% end" + open.tag +
                     " %}' before the end of the template",
                 open.offset);
          }
          return body;
        default:
          fail("unexpected " + describe_token(token), token.offset);
      }
    }
  }

  /// Consumes `{% name %}` (the closing tag that parse_body stopped at).
  void consume_tag(std::string_view name) {
    next();  // {%
    next();  // name
    expect_block_end(name);
  }

  StmtPtr parse_statement() {
    const std::size_t at = next().offset;  // {%
    NestingGuard guard(*this, at);
    const Token& tag_token = next();
    const std::string tag = tag_token.text;
    if (tag == "if") {
      return parse_if(at);
    }
    if (tag == "for") {
      return parse_for(at);
    }
    if (tag == "set") {
      return parse_set(at);
    }
    if (tag == "macro") {
      return parse_macro(at);
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) {
        fail("'{% " + tag + " %}' outside a for loop", tag_token.offset);
      }
      expect_block_end(tag);
      return std::make_unique<LoopControlStmt>(
          tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, at);
    }
    if (tag == "generation") {
      auto node = std::make_unique<GenerationStmt>(at);
      expect_block_end(tag);
      open_.push_back({tag, at});
      node->body = parse_body({"endgeneration"});
      open_.pop_back();
      consume_tag("endgeneration");
      return node;
    }
    if (tag == "filter") {
      auto node = std::make_unique<FilterBlockStmt>(at);
      node->filters = parse_filter_chain(true);
      expect_block_end(tag);
      open_.push_back({tag, at});
      node->body = parse_body({"endfilter"});
      open_.pop_back();
      consume_tag("endfilter");
      return node;
    }
    static constexpr std::string_view kUnsupported[] = {"extends", "block", "include", "import",
                                                        "from",    "with",  "call",    "autoescape",
                                                        "print",   "do",    "trans",   "raw"};
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), tag) !=
        std::end(kUnsupported)) {
      fail("'{% " + tag + " %}' is not supported in chat templates", tag_token.offset);
    }
    static constexpr std::string_view kClosers[] = {
        "elif",     "else",   "endif",         "endfor",    "endset",
        "endmacro", "endraw", "endgeneration", "endfilter", "endblock"};
    if (std::find(std::begin(kClosers), std::end(kClosers), tag) != std::end(kClosers)) {
      std::string message = "unexpected '{% " + tag + " %}'";
      if (!open_.empty()) {
        message += ": the innermost open block is '{% " + open_.back().tag + " %}' at " +
                   describe_position(source_, open_.back().offset);
      } else {
        message += ": no block is open";
      }
      fail(message, tag_token.offset);
    }
    fail("unknown tag '" + tag + "'", tag_token.offset);
  }

  StmtPtr parse_if(std::size_t at) {
    auto node = std::make_unique<IfStmt>(at);
    open_.push_back({"if", at});
    ExprPtr condition = parse_tuple(false, false);
    expect_block_end("if");
    Body body = parse_body({"elif", "else", "endif"});
    node->branches.emplace_back(std::move(condition), std::move(body));
    while (true) {
      const std::string tag = peek(1).text;
      if (tag == "elif") {
        next();
        next();
        ExprPtr elif_condition = parse_tuple(false, false);
        expect_block_end("elif");
        Body elif_body = parse_body({"elif", "else", "endif"});
        node->branches.emplace_back(std::move(elif_condition), std::move(elif_body));
      } else if (tag == "else") {
        consume_tag("else");
        node->else_body = parse_body({"endif"});
        consume_tag("endif");
        break;
      } else {
        consume_tag("endif");
        break;
      }
    }
    open_.pop_back();
    return node;
  }

  std::vector<std::string> parse_target_names(std::string_view what) {
    std::vector<std::string> names;
    const bool parenthesized = skip_op("(");
    do {
      names.push_back(expect_name(what));
    } while (skip_op(","));
    if (parenthesized) {
      expect_op(")");
    }
    return names;
  }

  StmtPtr parse_for(std::size_t at) {
    auto node = std::make_unique<ForStmt>(at);
    open_.push_back({"for", at});
    node->targets = parse_target_names("a loop variable name");
    if (!skip_name("in")) {
      fail("expected 'in' in the for loop, got " + describe_token(peek()), peek().offset);
    }
    node->iterable = parse_tuple(false, false);
    if (skip_name("if")) {
      node->filter = parse_expression(true);
    }
    if (is_name(peek(), "recursive")) {
      fail("recursive for loops are not supported in chat templates", peek().offset);
    }
    expect_block_end("for");
    ++loop_depth_;
    node->body = parse_body({"endfor", "else"});
    --loop_depth_;
    if (peek(1).text == "else") {
      consume_tag("else");
      node->else_body = parse_body({"endfor"});
    }
    consume_tag("endfor");
    open_.pop_back();
    return node;
  }

  StmtPtr parse_set(std::size_t at) {
    auto node = std::make_unique<SetStmt>(at);
    node->names.push_back(expect_name("a variable name"));
    if (skip_op(".")) {
      node->attribute = expect_name("an attribute name");
    } else {
      while (skip_op(",")) {
        node->names.push_back(expect_name("a variable name"));
      }
    }
    if (skip_op("=")) {
      node->value = parse_tuple(true, false);
      expect_block_end("set");
      return node;
    }
    if (node->names.size() > 1) {
      fail("a {% set %} block assigns a single name", at);
    }
    if (is_op(peek(), "|")) {
      node->filters = parse_filter_chain(false);
    }
    expect_block_end("set");
    open_.push_back({"set", at});
    node->body = parse_body({"endset"});
    open_.pop_back();
    consume_tag("endset");
    return node;
  }

  StmtPtr parse_macro(std::size_t at) {
    auto node = std::make_unique<MacroStmt>(at);
    node->name = expect_name("a macro name");
    expect_op("(");
    while (!is_op(peek(), ")")) {
      if (!node->params.empty()) {
        expect_op(",");
        if (is_op(peek(), ")")) {
          break;
        }
      }
      const std::size_t param_at = peek().offset;
      std::string name = expect_name("a parameter name");
      ExprPtr default_value;
      if (skip_op("=")) {
        default_value = parse_expression(true);
      } else if (!node->params.empty() && node->params.back().second) {
        fail("parameter '" + name + "' without a default follows one with a default", param_at);
      }
      node->params.emplace_back(std::move(name), std::move(default_value));
    }
    next();  // )
    expect_block_end("macro");
    open_.push_back({"macro", at});
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    node->body = parse_body({"endmacro"});
    loop_depth_ = saved_loop_depth;
    open_.pop_back();
    consume_tag("endmacro");
    return node;
  }

  // --- expressions --------------------------------------------------------------------------

  bool at_tuple_end() const {
    const Token& token = peek();
    return token.kind == Kind::kVariableEnd || token.kind == Kind::kBlockEnd || is_op(token, ")") ||
           token.kind == Kind::kEnd;
  }

  /// An expression, or several separated by commas (a tuple, which becomes a list).
  ExprPtr parse_tuple(bool with_condition, bool explicit_parentheses) {
    const std::size_t at = peek().offset;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) {
        expect_op(",");
      }
      if (at_tuple_end()) {
        break;
      }
      items.push_back(parse_expression(with_condition));
      if (is_op(peek(), ",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) {
        return std::move(items.front());
      }
      if (!explicit_parentheses) {
        fail("expected an expression, got " + describe_token(peek()), peek().offset);
      }
    }
    auto list = std::make_unique<ListExpr>(at);
    list->items = std::move(items);
    return list;
  }

  ExprPtr parse_expression(bool with_condition) {
    return with_condition ? parse_condition() : parse_or();
  }

  ExprPtr parse_condition() {
    ExprPtr value = parse_or();
    while (is_name(peek(), "if")) {
      const std::size_t at = next().offset;
      ExprPtr condition = parse_or();
      ExprPtr otherwise;
      if (skip_name("else")) {
        otherwise = parse_condition();
      }
      value = std::make_unique<ConditionExpr>(at, std::move(condition), std::move(value),
                                              std::move(otherwise));
    }
    return value;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name(peek(), "or")) {
      const std::size_t at = next().offset;
      left = std::make_unique<BinaryExpr>(at, BinaryExpr::Op::kOr, std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name(peek(), "and")) {
      const std::size_t at = next().offset;
      left = std::make_unique<BinaryExpr>(at, BinaryExpr::Op::kAnd, std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name(peek(), "not")) {
      const std::size_t at = next().offset;
      NestingGuard guard(*this, at);
      return std::make_unique<UnaryExpr>(at, UnaryExpr::Op::kNot, parse_not());
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const std::size_t at = peek().offset;
    ExprPtr first = parse_math1();
    std::unique_ptr<CompareExpr> chain;
    while (true) {
      const Token& token = peek();
      CompareExpr::Op op{};
      if (token.kind == Kind::kOperator && token.text == "==") {
        op = CompareExpr::Op::kEq;
      } else if (is_op(token, "!=")) {
        op = CompareExpr::Op::kNe;
      } else if (is_op(token, "<")) {
        op = CompareExpr::Op::kLt;
      } else if (is_op(token, "<=")) {
        op = CompareExpr::Op::kLe;
      } else if (is_op(token, ">")) {
        op = CompareExpr::Op::kGt;
      } else if (is_op(token, ">=")) {
        op = CompareExpr::Op::kGe;
      } else if (is_name(token, "in")) {
        op = CompareExpr::Op::kIn;
      } else if (is_name(token, "not") && is_name(peek(1), "in")) {
        op = CompareExpr::Op::kNotIn;
        next();
      } else {
        break;
      }
      next();
      if (!chain) {
        chain = std::make_unique<CompareExpr>(at, std::move(first));
      }
      chain->rest.emplace_back(op, parse_math1());
    }
    if (chain) {
      return chain;
    }
    return first;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op(peek(), "+") || is_op(peek(), "-")) {
      const Token& token = next();
      const auto op = token.text == "+" ? BinaryExpr::Op::kAdd : BinaryExpr::Op::kSub;
      left = std::make_unique<BinaryExpr>(token.offset, op, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op(peek(), "~")) {
      const std::size_t at = next().offset;
      left =
          std::make_unique<BinaryExpr>(at, BinaryExpr::Op::kConcat, std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (true) {
      const Token& token = peek();
      BinaryExpr::Op op{};
      if (is_op(token, "*")) {
        op = BinaryExpr::Op::kMul;
      } else if (is_op(token, "/")) {
        op = BinaryExpr::Op::kDiv;
      } else if (is_op(token, "//")) {
        op = BinaryExpr::Op::kFloorDiv;
      } else if (is_op(token, "%")) {
        op = BinaryExpr::Op::kMod;
      } else {
        break;
      }
      const std::size_t at = next().offset;
      left = std::make_unique<BinaryExpr>(at, op, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op(peek(), "**")) {
      const std::size_t at = next().offset;
      left = std::make_unique<BinaryExpr>(at, BinaryExpr::Op::kPow, std::move(left),
                                          parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    const std::size_t at = peek().offset;
    NestingGuard guard(*this, at);
    ExprPtr node;
    if (skip_op("-")) {
      node = std::make_unique<UnaryExpr>(at, UnaryExpr::Op::kNegate, parse_unary(false));
    } else if (skip_op("+")) {
      node = std::make_unique<UnaryExpr>(at, UnaryExpr::Op::kPlus, parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) {
      node = parse_filter_expr(std::move(node));
    }
    return node;
  }

  ExprPtr parse_primary() {
    const Token& token = peek();
    const std::size_t at = token.offset;
    switch (token.kind) {
      case Kind::kName: {
        const std::string name = next().text;
        if (name == "true" || name == "True") {
          return std::make_unique<LiteralExpr>(at, Json(true));
        }
        if (name == "false" || name == "False") {
          return std::make_unique<LiteralExpr>(at, Json(false));
        }
        if (name == "none" || name == "None") {
          return std::make_unique<LiteralExpr>(at, Json(nullptr));
        }
        return std::make_unique<NameExpr>(at, name);
      }
      case Kind::kString: {
        std::string text = next().text;
        while (peek().kind == Kind::kString) {
          text += next().text;
        }
        return std::make_unique<LiteralExpr>(at, Json(std::move(text)));
      }
      case Kind::kInteger:
        return std::make_unique<LiteralExpr>(at, Json(next().integer));
      case Kind::kFloat:
        return std::make_unique<LiteralExpr>(at, Json(next().number));
      case Kind::kOperator:
        if (token.text == "(") {
          next();
          ExprPtr inner = parse_tuple(true, true);
          expect_op(")");
          return inner;
        }
        if (token.text == "[") {
          return parse_list();
        }
        if (token.text == "{") {
          return parse_dict();
        }
        break;
      default:
        break;
    }
    fail("expected an expression, got " + describe_token(token), at);
  }

  ExprPtr parse_list() {
    auto list = std::make_unique<ListExpr>(next().offset);
    while (!is_op(peek(), "]")) {
      if (!list->items.empty()) {
        expect_op(",");
        if (is_op(peek(), "]")) {
          break;
        }
      }
      list->items.push_back(parse_expression(true));
    }
    next();
    return list;
  }

  ExprPtr parse_dict() {
    auto dict = std::make_unique<DictExpr>(next().offset);
    while (!is_op(peek(), "}")) {
      if (!dict->items.empty()) {
        expect_op(",");
        if (is_op(peek(), "}")) {
          break;
        }
      }
      ExprPtr key = parse_expression(true);
      expect_op(":");
      ExprPtr value = parse_expression(true);
      dict->items.emplace_back(std::move(key), std::move(value));
    }
    next();
    return dict;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(peek(), ".") || is_op(peek(), "[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op(peek(), "(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op(peek(), "|")) {
        for (auto& filter : parse_filter_chain(false)) {
          filter->value = std::move(node);
          node = std::move(filter);
        }
      } else if (is_name(peek(), "is")) {
        node = parse_test(std::move(node));
      } else if (is_op(peek(), "(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& token = next();
    const std::size_t at = token.offset;
    if (token.text == ".") {
      const Token& attribute = next();
      if (attribute.kind == Kind::kName) {
        return std::make_unique<GetAttrExpr>(at, std::move(node), attribute.text);
      }
      if (attribute.kind == Kind::kInteger) {
        return std::make_unique<GetItemExpr>(
            at, std::move(node),
            std::make_unique<LiteralExpr>(attribute.offset, attribute.integer));
      }
      fail("expected an attribute name after '.', got " + describe_token(attribute),
           attribute.offset);
    }
    // '[': an index or a slice.
    ExprPtr start;
    if (!is_op(peek(), ":")) {
      start = parse_expression(true);
      if (!is_op(peek(), ":")) {
        if (is_op(peek(), ",")) {
          fail("subscripts with several indexes are not supported", peek().offset);
        }
        expect_op("]");
        return std::make_unique<GetItemExpr>(at, std::move(node), std::move(start));
      }
    }
    next();  // ':'
    auto slice = std::make_unique<SliceExpr>(at, std::move(node));
    slice->start = std::move(start);
    if (!is_op(peek(), ":") && !is_op(peek(), "]")) {
      slice->stop = parse_expression(true);
    }
    if (skip_op(":") && !is_op(peek(), "]")) {
      slice->step = parse_expression(true);
    }
    expect_op("]");
    return slice;
  }

  std::vector<Argument> parse_arguments() {
    expect_op("(");
    std::vector<Argument> args;
    bool keyword_seen = false;
    while (!is_op(peek(), ")")) {
      if (!args.empty()) {
        expect_op(",");
        if (is_op(peek(), ")")) {
          break;
        }
      }
      if (is_op(peek(), "*") || is_op(peek(), "**")) {
        fail("*args and **kwargs in calls are not supported", peek().offset);
      }
      Argument argument;
      if (peek().kind == Kind::kName && is_op(peek(1), "=")) {
        argument.name = next().text;
        next();
        keyword_seen = true;
      } else if (keyword_seen) {
        fail("a positional argument follows a keyword argument", peek().offset);
      }
      argument.value = parse_expression(true);
      args.push_back(std::move(argument));
    }
    next();
    return args;
  }

  ExprPtr parse_call(ExprPtr callee) {
    const std::size_t at = peek().offset;
    auto call = std::make_unique<CallExpr>(at, std::move(callee));
    call->args = parse_arguments();
    return call;
  }

  std::string parse_dotted_name(std::string_view what) {
    std::string name = expect_name(what);
    while (is_op(peek(), ".") && peek(1).kind == Kind::kName) {
      next();
      name += "." + next().text;
    }
    return name;
  }

  /// `| f(args) | g ...`; with `start_inline`, the first filter has no leading '|'.
  std::vector<std::unique_ptr<FilterExpr>> parse_filter_chain(bool start_inline) {
    std::vector<std::unique_ptr<FilterExpr>> filters;
    while (is_op(peek(), "|") || start_inline) {
      if (!start_inline) {
        next();
      }
      start_inline = false;
      const std::size_t at = peek().offset;
      std::string name = parse_dotted_name("a filter name");
      if (!is_filter_name(name)) {
        fail("no filter named '" + name + "'", at);
      }
      auto filter = std::make_unique<FilterExpr>(at, nullptr, std::move(name));
      if (is_op(peek(), "(")) {
        filter->args = parse_arguments();
      }
      filters.push_back(std::move(filter));
    }
    return filters;
  }

  ExprPtr parse_test(ExprPtr node) {
    next();  // is
    const bool negated = skip_name("not");
    const std::size_t at = peek().offset;
    std::string name = parse_dotted_name("a test name");
    if (!is_test_name(name)) {
      fail("no test named '" + name + "'", at);
    }
    auto test = std::make_unique<TestExpr>(at, std::move(node), std::move(name), negated);
    const Token& token = peek();
    if (is_op(token, "(")) {
      test->args = parse_arguments();
    } else if ((token.kind == Kind::kName || token.kind == Kind::kString ||
                token.kind == Kind::kInteger || token.kind == Kind::kFloat || is_op(token, "[") ||
                is_op(token, "{")) &&
               !is_name(token, "else") && !is_name(token, "or") && !is_name(token, "and")) {
      if (is_name(token, "is")) {
        fail("tests cannot be chained with 'is'", token.offset);
      }
      Argument argument;
      argument.value = parse_postfix(parse_primary());
      test->args.push_back(std::move(argument));
    }
    return test;
  }

  std::string_view source_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  std::vector<OpenBlock> open_;
  int loop_depth_ = 0;
  int depth_ = 0;
};

}  // namespace

Template parse_template(std::string_view source, const LexerOptions& options) {
  Template result;
  result.source = normalize_source(source);
  Parser parser(result.source, tokenize(result.source, options));
  result.body = parser.parse();
  return result;
}

}  // namespace disaggd::engine::jinja
