// Value: what a chat template computes with. JSON data (shared, never copied on access), Jinja's
// Undefined, namespace() objects and loop variables, and callables (macros, builtins, methods).
// Plus the Python semantics every part needs: truthiness, str(), repr(), ==, <, iteration.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/chat/jinja_ast.h"

namespace disaggd::engine::jinja {

struct Object;
struct Callable;

/// One value of the template language.
class Value {
 public:
  enum class Kind { kUndefined, kJson, kObject, kCallable };

  /// Undefined, with no hint.
  Value() = default;
  /// A JSON value (owned).
  explicit Value(Json json);
  /// A JSON value shared with others (a literal, a context document, an element of either).
  explicit Value(std::shared_ptr<const Json> json);
  /// Undefined, with the explanation used when it is misused ("'x' is undefined").
  static Value undefined(std::string hint);
  static Value object(std::shared_ptr<Object> object);
  static Value callable(std::shared_ptr<const Callable> callable);
  static Value string(std::string text) { return Value(Json(std::move(text))); }
  static Value integer(std::int64_t number) { return Value(Json(number)); }
  static Value boolean(bool flag) { return Value(Json(flag)); }
  static Value none() { return Value(Json(nullptr)); }

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_json() const { return kind_ == Kind::kJson; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_callable() const { return kind_ == Kind::kCallable; }
  bool is_string() const { return is_json() && json_->is_string(); }
  bool is_none() const { return is_json() && json_->is_null(); }
  bool is_bool() const { return is_json() && json_->is_boolean(); }
  /// An int (not a bool).
  bool is_int() const { return is_json() && json_->is_number_integer(); }
  bool is_float() const { return is_json() && json_->is_number_float(); }
  /// An int, a float or a bool (Python's bool is an int).
  bool is_number() const { return is_json() && (json_->is_number() || json_->is_boolean()); }
  bool is_list() const { return is_json() && json_->is_array(); }
  bool is_dict() const { return is_json() && json_->is_object(); }

  /// The JSON value; only when is_json().
  const Json& json() const { return *json_; }
  const std::shared_ptr<const Json>& json_ptr() const { return json_; }
  /// The text of a string value.
  const std::string& str() const { return json_->get_ref<const std::string&>(); }
  /// `element` (a part of json()) as a value sharing this one's storage.
  Value element(const Json& part) const { return Value(std::shared_ptr<const Json>(json_, &part)); }
  Object& as_object() const { return *object_; }
  const std::shared_ptr<Object>& object_ptr() const { return object_; }
  const Callable& as_callable() const { return *callable_; }
  const std::string& undefined_hint() const { return hint_; }

 private:
  Kind kind_ = Kind::kUndefined;
  std::shared_ptr<const Json> json_;
  std::shared_ptr<Object> object_;
  std::shared_ptr<const Callable> callable_;
  std::string hint_;
};

/// Arguments of a call: positional ones, then keyword ones in call order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

/// Something a template can call.
struct Callable {
  std::string name;  ///< For messages: "range", "macro 'render_tool'", "str.split".
  std::function<Value(CallArgs&)> call;
};

/// A namespace() object (attributes assignable with `{% set ns.x = ... %}`) or a loop variable.
struct Object {
  enum class Kind { kNamespace, kLoop };
  explicit Object(Kind k) : kind(k) {}

  Kind kind;
  std::vector<std::pair<std::string, Value>> attributes;  ///< kNamespace, in assignment order.
  std::shared_ptr<const std::vector<Value>> items;        ///< kLoop: the iterated items.
  std::size_t index0 = 0;                                 ///< kLoop: the current item.

  /// The namespace attribute `name`, or null.
  const Value* find(std::string_view name) const;
  /// Sets (or adds) a namespace attribute.
  void set(const std::string& name, Value value);
};

/// Bounds on what one builtin call may build, so that a template cannot exhaust memory.
struct Limits {
  std::size_t max_bytes = std::size_t{1} << 20;  ///< Longest string.
  std::size_t max_items = 100000;                ///< Longest list (also Jinja's sandbox range()).
};

/// Throws a kLimit TemplateError when a string of `bytes` would exceed `limits`.
void check_string_size(std::size_t bytes, const Limits& limits);
/// Throws a kLimit TemplateError when a list of `items` would exceed `limits`.
void check_list_size(std::size_t items, const Limits& limits);

/// Deepest nesting of lists and dicts a value may have: deeper data (from a context, or built by
/// a template) is an error rather than a risk to the stack of the recursive code that reads it.
inline constexpr std::size_t kMaxValueDepth = 512;

/// Whether `root` nests arrays and objects more than `limit` levels deep (checked without
/// recursion, for nlohmann::json and nlohmann::ordered_json alike).
template <class AnyJson>
bool json_deeper_than(const AnyJson& root, std::size_t limit) {
  std::vector<std::pair<const AnyJson*, std::size_t>> pending{{&root, 0}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) {
      continue;
    }
    if (depth >= limit) {
      return true;
    }
    for (const AnyJson& child : *node) {
      if (child.is_structured()) {
        pending.emplace_back(&child, depth + 1);
      }
    }
  }
  return false;
}

/// Python's type name of a value ("str", "int", "list", "dict", "NoneType", "Undefined", ...).
std::string type_name(const Value& value);

/// Python's bool(): undefined, none, false, 0, "", [] and {} are false.
bool truthy(const Value& value);

/// Python's str(): what `{{ value }}` prints (undefined prints nothing).
std::string to_str(const Value& value);
/// Appends to_str(value) to `out`.
void append_str(std::string& out, const Value& value);
/// Python's repr(), as used inside printed lists and dicts.
std::string to_repr(const Value& value);

/// Python's ==, with Jinja's Undefined equal only to Undefined.
bool values_equal(const Value& a, const Value& b);
/// Python's ordering (<0, 0, >0) of numbers, strings and lists; throws for other types, naming
/// `op`.
int compare_values(const Value& a, const Value& b, std::string_view op);

/// The value as JSON for storing in a list or dict: undefined becomes null; objects and
/// callables cannot be stored (throws).
Json to_json(const Value& value);
/// The value as JSON for serialization: undefined, objects and callables throw.
const Json& require_json(const Value& value, std::string_view what);

/// What a for loop visits: list elements, dict keys, the code points of a string; nothing for
/// undefined. Throws for other types.
std::vector<Value> iterate(const Value& value);

/// Throws the error for using an undefined value ("'x' is undefined").
[[noreturn]] void undefined_error(const Value& value);

/// The value as an integer (ints and bools); throws naming `what` otherwise.
std::int64_t require_int(const Value& value, std::string_view what);
/// The value as a string; throws naming `what` otherwise.
const std::string& require_string(const Value& value, std::string_view what);

}  // namespace disaggd::engine::jinja
