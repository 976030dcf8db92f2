// The syntax tree of a parsed chat template: expressions and statements, each with the byte
// offset in the normalized source where it starts (for error messages).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace disaggd::engine::jinja {

/// Template values keep the key order of objects, as Python dicts do.
using Json = nlohmann::ordered_json;

/// An expression node; `kind` tells which subclass it is.
struct Expr {
  enum class Kind {
    kLiteral,
    kName,
    kList,
    kDict,
    kGetAttr,
    kGetItem,
    kSlice,
    kCall,
    kFilter,
    kTest,
    kUnary,
    kBinary,
    kCompare,
    kCondition,
  };
  Expr(Kind k, std::size_t at) : kind(k), offset(at) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  Kind kind;
  std::size_t offset;
};
using ExprPtr = std::unique_ptr<Expr>;

/// `true`, `'text'`, `42`, `1.5`, `none`.
struct LiteralExpr : Expr {
  LiteralExpr(std::size_t at, Json v)
      : Expr(Kind::kLiteral, at), value(std::make_shared<const Json>(std::move(v))) {}
  std::shared_ptr<const Json> value;
};

/// A variable.
struct NameExpr : Expr {
  NameExpr(std::size_t at, std::string n) : Expr(Kind::kName, at), name(std::move(n)) {}
  std::string name;
};

/// `[a, b]` or a tuple `(a, b)`.
struct ListExpr : Expr {
  explicit ListExpr(std::size_t at) : Expr(Kind::kList, at) {}
  std::vector<ExprPtr> items;
};

/// `{key: value, ...}`.
struct DictExpr : Expr {
  explicit DictExpr(std::size_t at) : Expr(Kind::kDict, at) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

/// `object.name`.
struct GetAttrExpr : Expr {
  GetAttrExpr(std::size_t at, ExprPtr o, std::string n)
      : Expr(Kind::kGetAttr, at), object(std::move(o)), name(std::move(n)) {}
  ExprPtr object;
  std::string name;
};

/// `object[index]`.
struct GetItemExpr : Expr {
  GetItemExpr(std::size_t at, ExprPtr o, ExprPtr i)
      : Expr(Kind::kGetItem, at), object(std::move(o)), index(std::move(i)) {}
  ExprPtr object;
  ExprPtr index;
};

/// `object[start:stop:step]`; each bound may be null.
struct SliceExpr : Expr {
  SliceExpr(std::size_t at, ExprPtr o) : Expr(Kind::kSlice, at), object(std::move(o)) {}
  ExprPtr object;
  ExprPtr start;
  ExprPtr stop;
  ExprPtr step;
};

/// One argument of a call, filter or test: positional when `name` is empty.
struct Argument {
  std::string name;
  ExprPtr value;
};

/// `callee(args...)`.
struct CallExpr : Expr {
  CallExpr(std::size_t at, ExprPtr c) : Expr(Kind::kCall, at), callee(std::move(c)) {}
  ExprPtr callee;
  std::vector<Argument> args;
};

/// `value | name(args...)`; `value` is null in `{% filter %}` and `{% set %}` blocks.
struct FilterExpr : Expr {
  FilterExpr(std::size_t at, ExprPtr v, std::string n)
      : Expr(Kind::kFilter, at), value(std::move(v)), name(std::move(n)) {}
  ExprPtr value;
  std::string name;
  std::vector<Argument> args;
};

/// `value is [not] name(args...)`.
struct TestExpr : Expr {
  TestExpr(std::size_t at, ExprPtr v, std::string n, bool neg)
      : Expr(Kind::kTest, at), value(std::move(v)), name(std::move(n)), negated(neg) {}
  ExprPtr value;
  std::string name;
  std::vector<Argument> args;
  bool negated;
};

/// `not x`, `-x`, `+x`.
struct UnaryExpr : Expr {
  enum class Op { kNot, kNegate, kPlus };
  UnaryExpr(std::size_t at, Op o, ExprPtr e)
      : Expr(Kind::kUnary, at), op(o), operand(std::move(e)) {}
  Op op;
  ExprPtr operand;
};

/// Arithmetic, `~` and the short-circuit `and`/`or`.
struct BinaryExpr : Expr {
  enum class Op { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow, kConcat, kAnd, kOr };
  BinaryExpr(std::size_t at, Op o, ExprPtr l, ExprPtr r)
      : Expr(Kind::kBinary, at), op(o), left(std::move(l)), right(std::move(r)) {}
  Op op;
  ExprPtr left;
  ExprPtr right;
};

/// A comparison chain: `a < b <= c` means `a < b and b <= c`.
struct CompareExpr : Expr {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };
  CompareExpr(std::size_t at, ExprPtr f) : Expr(Kind::kCompare, at), first(std::move(f)) {}
  ExprPtr first;
  std::vector<std::pair<Op, ExprPtr>> rest;
};

/// `then_value if condition else else_value` (`else_value` may be null: undefined).
struct ConditionExpr : Expr {
  ConditionExpr(std::size_t at, ExprPtr c, ExprPtr t, ExprPtr e)
      : Expr(Kind::kCondition, at),
        condition(std::move(c)),
        then_value(std::move(t)),
        else_value(std::move(e)) {}
  ExprPtr condition;
  ExprPtr then_value;
  ExprPtr else_value;
};

/// A statement node; `kind` tells which subclass it is.
struct Stmt {
  enum class Kind {
    kText,
    kOutput,
    kIf,
    kFor,
    kSet,
    kMacro,
    kBreak,
    kContinue,
    kGeneration,
    kFilter
  };
  Stmt(Kind k, std::size_t at) : kind(k), offset(at) {}
  virtual ~Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Kind kind;
  std::size_t offset;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

/// Literal text between tags.
struct TextStmt : Stmt {
  TextStmt(std::size_t at, std::string t) : Stmt(Kind::kText, at), text(std::move(t)) {}
  std::string text;
};

/// `{{ value }}`.
struct OutputStmt : Stmt {
  OutputStmt(std::size_t at, ExprPtr v) : Stmt(Kind::kOutput, at), value(std::move(v)) {}
  ExprPtr value;
};

/// `{% if %}...{% elif %}...{% else %}...{% endif %}`.
struct IfStmt : Stmt {
  explicit IfStmt(std::size_t at) : Stmt(Kind::kIf, at) {}
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body else_body;
};

/// `{% for a[, b] in iterable [if filter] %}...{% else %}...{% endfor %}`.
struct ForStmt : Stmt {
  explicit ForStmt(std::size_t at) : Stmt(Kind::kFor, at) {}
  std::vector<std::string> targets;
  ExprPtr iterable;
  ExprPtr filter;
  Body body;
  Body else_body;
};

/// `{% set a[, b] = value %}`, `{% set ns.attr = value %}` or `{% set a | f %}...{% endset %}`.
struct SetStmt : Stmt {
  explicit SetStmt(std::size_t at) : Stmt(Kind::kSet, at) {}
  std::vector<std::string> names;                    ///< One name, or several to unpack a sequence.
  std::string attribute;                             ///< Set: `names[0].attribute` (a namespace).
  ExprPtr value;                                     ///< Null for the block form.
  Body body;                                         ///< The block form's body.
  std::vector<std::unique_ptr<FilterExpr>> filters;  ///< The block form's filters.
};

/// `{% macro name(a, b=default) %}...{% endmacro %}`.
struct MacroStmt : Stmt {
  explicit MacroStmt(std::size_t at) : Stmt(Kind::kMacro, at) {}
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> params;  ///< Default values may be null.
  Body body;
};

/// `{% break %}`, `{% continue %}` (Jinja's loopcontrols extension).
struct LoopControlStmt : Stmt {
  LoopControlStmt(Kind k, std::size_t at) : Stmt(k, at) {}
};

/// `{% generation %}...{% endgeneration %}` (transformers' assistant-mask marker): renders its
/// body as it is.
struct GenerationStmt : Stmt {
  explicit GenerationStmt(std::size_t at) : Stmt(Kind::kGeneration, at) {}
  Body body;
};

/// `{% filter name(args) | other %}...{% endfilter %}`.
struct FilterBlockStmt : Stmt {
  explicit FilterBlockStmt(std::size_t at) : Stmt(Kind::kFilter, at) {}
  std::vector<std::unique_ptr<FilterExpr>> filters;
  Body body;
};

/// A parsed template: its normalized source (for error positions) and its statements.
struct Template {
  std::string source;
  Body body;
};

/// Downcast of a node whose `kind` has been checked.
template <class T, class Node>
const T& as(const Node& node) {
  return static_cast<const T&>(node);
}

}  // namespace disaggd::engine::jinja
