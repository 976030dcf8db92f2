// The operators of the template language with Python's semantics: arithmetic, `~`, `in`,
// attribute and item access (Jinja's getattr/getitem rules, returning Undefined for what is
// missing) and slicing.
#pragma once

#include <string>

#include "engine/chat/jinja_ast.h"
#include "engine/chat/jinja_value.h"

namespace disaggd::engine::jinja {

/// `a op b` for + - * / // % ** (not `and`, `or`, `~`).
Value binary_arithmetic(BinaryExpr::Op op, const Value& a, const Value& b, const Limits& limits);

/// `-v` or `+v`.
Value unary_arithmetic(UnaryExpr::Op op, const Value& v);

/// `a ~ b`: str(a) + str(b).
Value concat(const Value& a, const Value& b, const Limits& limits);

/// `item in container`.
bool contains(const Value& container, const Value& item);

/// `object.name`: a method, a dict key, a namespace or loop attribute; Undefined when missing.
Value get_attribute(const Value& object, const std::string& name, const Limits& limits);

/// `object[key]`: a list or string index (negative from the end), a dict key; Undefined when
/// missing.
Value get_item(const Value& object, const Value& key, const Limits& limits);

/// `object[start:stop:step]` of a list or string (bounds undefined or none when absent).
Value slice(const Value& object, const Value& start, const Value& stop, const Value& step);

}  // namespace disaggd::engine::jinja
