// Jinja's filters.
#include "engine/chat/jinja_filters.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "engine/chat/jinja_arguments.h"
#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_operators.h"
#include "engine/chat/jinja_tests.h"
#include "engine/chat/python_json.h"
#include "engine/chat/python_text.h"

namespace disaggd::engine::jinja {
namespace {

using FilterFn = std::function<Value(const Value&, CallArgs&, const Limits&)>;

Value list_of(const std::vector<Value>& items) {
  Json list = Json::array();
  for (const Value& item : items) {
    list.push_back(to_json(item));
  }
  return Value(std::move(list));
}

/// Jinja's make_attrgetter: `attribute` is "name", "a.b" or "0"; each part goes through getitem.
Value get_attribute_path(const Value& item, const Value& attribute, const Value& fallback,
                         const Limits& limits) {
  std::vector<Value> parts;
  if (attribute.is_string()) {
    for (const std::string& part : py_split(attribute.str(), std::string_view("."), -1)) {
      const bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
      parts.push_back(digits ? Value::integer(std::strtoll(part.c_str(), nullptr, 10))
                             : Value::string(part));
    }
  } else {
    parts.push_back(attribute);
  }
  Value current = item;
  for (const Value& part : parts) {
    current = get_item(current, part, limits);
    if (current.is_undefined() && !fallback.is_undefined() && !fallback.is_none()) {
      current = fallback;
    }
  }
  return current;
}

/// Python's float(text), or nullopt.
std::optional<double> parse_float(std::string_view text) {
  std::string clean;
  for (const char c : py_strip(text, true, true)) {
    if (c != '_') {
      clean += c;
    }
  }
  if (clean.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) {
    return std::nullopt;
  }
  return value;
}

/// Python's int(text, base), or nullopt.
std::optional<std::int64_t> parse_int(std::string_view text, int base) {
  std::string clean;
  for (const char c : py_strip(text, true, true)) {
    if (c != '_') {
      clean += c;
    }
  }
  if (clean.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(clean.c_str(), &end, base);
  if (end != clean.c_str() + clean.size() || errno != 0) {
    return std::nullopt;
  }
  return value;
}

/// Python's int(float): truncation; NaN, infinities and values beyond int64 are errors.
std::int64_t float_to_int(double number) {
  if (!std::isfinite(number)) {
    render_error("cannot convert float infinity or NaN to integer");
  }
  if (number >= 9223372036854775808.0 || number < -9223372036854775808.0) {
    render_error("integer too large");
  }
  return static_cast<std::int64_t>(number);
}

Value do_length(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("length", args, {}, 0);
  if (v.is_undefined()) {
    return Value::integer(0);
  }
  if (v.is_string()) {
    return Value::integer(static_cast<std::int64_t>(code_point_count(v.str())));
  }
  if (v.is_list() || v.is_dict()) {
    return Value::integer(static_cast<std::int64_t>(v.json().size()));
  }
  if (v.is_object() && v.as_object().kind == Object::Kind::kLoop) {
    return Value::integer(static_cast<std::int64_t>(v.as_object().items->size()));
  }
  render_error("object of type '" + type_name(v) + "' has no len()");
}

Value do_default(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs bound("default", args, {"default_value", "boolean"}, 0);
  const bool boolean = bound.has(1) && truthy(bound.get(1));
  if (v.is_undefined() || (boolean && !truthy(v))) {
    return bound.get_or(0, Value::string(""));
  }
  return v;
}

Value do_trim(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs bound("trim", args, {"chars"}, 0);
  const std::string text = to_str(v);
  if (bound.has(0) && !bound.get(0).is_none()) {
    return Value::string(
        std::string(py_strip_chars(text, require_string(bound.get(0), "trim chars"), true, true)));
  }
  return Value::string(std::string(py_strip(text, true, true)));
}

Value do_tojson(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs bound("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}, 0);
  JsonDumpOptions options;
  options.ensure_ascii = bound.has(0) && truthy(bound.get(0));
  if (bound.has(1) && !bound.get(1).is_none()) {
    const Value& indent = bound.get(1);
    if (indent.is_string()) {
      options.indent = indent.str();
    } else {
      const std::int64_t width = require_int(indent, "tojson indent");
      options.indent =
          std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(width, 0, 64)), ' ');
    }
  }
  if (bound.has(2) && !bound.get(2).is_none()) {
    const Value& separators = bound.get(2);
    if (!separators.is_list() || separators.json().size() != 2 ||
        !separators.json()[0].is_string() || !separators.json()[1].is_string()) {
      render_error("tojson separators must be a pair of strings");
    }
    options.item_separator = separators.json()[0].get<std::string>();
    options.key_separator = separators.json()[1].get<std::string>();
  }
  options.sort_keys = bound.has(3) && truthy(bound.get(3));
  if (v.is_undefined()) {
    render_error("tojson: object of type 'Undefined' is not JSON serializable");
  }
  std::string text = py_json_dumps(require_json(v, "tojson"), options);
  check_string_size(text.size(), limits);
  return Value::string(std::move(text));
}

Value do_join(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs bound("join", args, {"d", "attribute"}, 0);
  const std::string separator = bound.has(0) ? to_str(bound.get(0)) : std::string();
  std::string out;
  bool first = true;
  for (Value item : iterate(v)) {
    if (bound.has(1) && !bound.get(1).is_none()) {
      item = get_attribute_path(item, bound.get(1), Value(), limits);
    }
    if (!first) {
      out += separator;
    }
    first = false;
    append_str(out, item);
    check_string_size(out.size(), limits);
  }
  return Value::string(std::move(out));
}

Value do_first(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("first", args, {}, 0);
  std::vector<Value> items = iterate(v);
  if (items.empty()) {
    return Value::undefined("No first item, sequence was empty.");
  }
  return items.front();
}

Value do_last(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("last", args, {}, 0);
  std::vector<Value> items = iterate(v);
  if (items.empty()) {
    return Value::undefined("No last item, sequence was empty.");
  }
  return items.back();
}

Value do_reverse(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("reverse", args, {}, 0);
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  if (v.is_string()) {
    std::string out;
    for (const Value& item : items) {
      out += item.str();
    }
    return Value::string(std::move(out));
  }
  return list_of(items);
}

Value do_list(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("list", args, {}, 0);
  return list_of(iterate(v));
}

Value do_items(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("items", args, {}, 0);
  Json pairs = Json::array();
  if (v.is_undefined()) {
    return Value(std::move(pairs));
  }
  if (!v.is_dict()) {
    render_error("Can only get item pairs from a mapping.");
  }
  for (const auto& [key, item] : v.json().items()) {
    pairs.push_back(Json::array({key, item}));
  }
  return Value(std::move(pairs));
}

Value do_replace(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs bound("replace", args, {"old", "new", "count"}, 2);
  const std::string text = to_str(v);
  const std::string old = to_str(bound.get(0));
  const std::string replacement = to_str(bound.get(1));
  const long long count =
      bound.has(2) && !bound.get(2).is_none() ? require_int(bound.get(2), "replace count") : -1;
  check_string_size(text.size() + py_count(text, old) * replacement.size(), limits);
  return Value::string(py_replace(text, old, replacement, count));
}

Value do_title(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("title", args, {}, 0);
  const std::string text = to_str(v);
  std::string out;
  bool word_start = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    const char32_t cp = next_code_point(text, pos);
    const bool separator =
        is_py_space(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    const std::string piece = text.substr(start, pos - start);
    out += separator ? piece : (word_start ? ascii_upper(piece) : ascii_lower(piece));
    word_start = separator;
  }
  return Value::string(std::move(out));
}

Value do_indent(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs bound("indent", args, {"width", "first", "blank"}, 0);
  std::string indentation = "    ";
  if (bound.has(0)) {
    indentation = bound.get(0).is_string()
                      ? bound.get(0).str()
                      : std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(
                                        require_int(bound.get(0), "indent width"), 0, 1024)),
                                    ' ');
  }
  const bool first = bound.has(1) && truthy(bound.get(1));
  const bool blank = bound.has(2) && truthy(bound.get(2));
  if (v.is_undefined()) {
    undefined_error(v);
  }
  if (!v.is_string()) {
    render_error("unsupported operand type(s) for +=: '" + type_name(v) + "' and 'str'");
  }
  const std::vector<std::string> lines = py_splitlines(v.str() + "\n");
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += '\n';
      if (blank || !lines[i].empty()) {
        out += indentation;
      }
    }
    out += lines[i];
    check_string_size(out.size(), limits);
  }
  if (first) {
    out = indentation + out;
  }
  return Value::string(std::move(out));
}

Value do_map(const Value& v, CallArgs& args, const Limits& limits) {
  std::vector<Value> out;
  if (!truthy(v)) {
    return list_of(out);
  }
  if (args.positional.empty()) {
    BoundArgs bound("map", args, {"attribute", "default"}, 1);
    for (const Value& item : iterate(v)) {
      out.push_back(get_attribute_path(item, bound.get(0), bound.get(1), limits));
    }
    return list_of(out);
  }
  const std::string name = require_string(args.positional.front(), "map's filter name");
  if (!is_filter_name(name)) {
    render_error("map: no filter named '" + name + "'");
  }
  for (const Value& item : iterate(v)) {
    CallArgs rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keyword = args.keyword;
    out.push_back(apply_filter(name, item, rest, limits));
  }
  return list_of(out);
}

/// select, reject, selectattr, rejectattr.
Value select_items(const Value& v, CallArgs& args, const Limits& limits, bool keep,
                   bool by_attribute, const char* name) {
  std::vector<Value> out;
  if (!truthy(v)) {
    return list_of(out);
  }
  std::size_t offset = 0;
  Value attribute;
  if (by_attribute) {
    if (args.positional.empty()) {
      render_error(std::string(name) + ": missing parameter for attribute name");
    }
    attribute = args.positional.front();
    offset = 1;
  }
  std::string test;
  if (args.positional.size() > offset) {
    test = require_string(args.positional[offset], std::string(name) + "'s test name");
    if (!is_test_name(test)) {
      render_error(std::string(name) + ": no test named '" + test + "'");
    }
  }
  for (const Value& item : iterate(v)) {
    const Value subject =
        by_attribute ? get_attribute_path(item, attribute, Value(), limits) : item;
    bool passed = false;
    if (test.empty()) {
      passed = truthy(subject);
    } else {
      CallArgs rest;
      rest.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(offset + 1),
                             args.positional.end());
      rest.keyword = args.keyword;
      passed = apply_test(test, subject, rest);
    }
    if (passed == keep) {
      out.push_back(item);
    }
  }
  return list_of(out);
}

Value do_sum(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs bound("sum", args, {"attribute", "start"}, 0);
  Value total = bound.get_or(1, Value::integer(0));
  for (Value item : iterate(v)) {
    if (bound.has(0) && !bound.get(0).is_none()) {
      item = get_attribute_path(item, bound.get(0), Value(), limits);
    }
    total = binary_arithmetic(BinaryExpr::Op::kAdd, total, item, limits);
  }
  return total;
}

Value do_sort(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs bound("sort", args, {"reverse", "case_sensitive", "attribute"}, 0);
  const bool reverse = bound.has(0) && truthy(bound.get(0));
  const bool case_sensitive = bound.has(1) && truthy(bound.get(1));
  std::vector<Value> items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    Value key = bound.has(2) && !bound.get(2).is_none()
                    ? get_attribute_path(item, bound.get(2), Value(), limits)
                    : item;
    if (!case_sensitive && key.is_string()) {
      key = Value::string(ascii_lower(key.str()));
    }
    keyed.emplace_back(std::move(key), std::move(item));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& a, const auto& b) {
    return reverse ? compare_values(b.first, a.first, "<") < 0
                   : compare_values(a.first, b.first, "<") < 0;
  });
  std::vector<Value> sorted;
  for (auto& [key, item] : keyed) {
    sorted.push_back(std::move(item));
  }
  return list_of(sorted);
}

Value do_int(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs bound("int", args, {"default", "base"}, 0);
  const Value fallback = bound.get_or(0, Value::integer(0));
  const int base = bound.has(1) ? static_cast<int>(require_int(bound.get(1), "int base")) : 10;
  if (v.is_undefined()) {
    undefined_error(v);
  }
  if (v.is_int() || v.is_bool()) {
    return Value::integer(require_int(v, "int"));
  }
  if (v.is_float()) {
    const double number = v.json().get<double>();
    return Value::integer(float_to_int(number));
  }
  if (v.is_string()) {
    if (const auto parsed = parse_int(v.str(), base)) {
      return Value::integer(*parsed);
    }
    if (const auto parsed = parse_float(v.str())) {
      return Value::integer(float_to_int(*parsed));
    }
  }
  return fallback;
}

Value do_float(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs bound("float", args, {"default"}, 0);
  if (v.is_undefined()) {
    undefined_error(v);
  }
  if (v.is_number()) {
    return Value(
        Json(v.is_float() ? v.json().get<double>() : static_cast<double>(require_int(v, "float"))));
  }
  if (v.is_string()) {
    if (const auto parsed = parse_float(v.str())) {
      return Value(Json(*parsed));
    }
  }
  return bound.get_or(0, Value(Json(0.0)));
}

Value do_abs(const Value& v, CallArgs& args, const Limits&) {
  BoundArgs("abs", args, {}, 0);
  if (v.is_float()) {
    return Value(Json(std::fabs(v.json().get<double>())));
  }
  if (v.is_int() || v.is_bool()) {
    const std::int64_t x = require_int(v, "abs");
    if (x == INT64_MIN) {
      render_error("integer overflow");
    }
    return Value::integer(x < 0 ? -x : x);
  }
  render_error("bad operand type for abs(): '" + type_name(v) + "'");
}

Value do_escape(const Value& v, CallArgs& args, const Limits& limits) {
  BoundArgs("escape", args, {}, 0);
  std::string out;
  for (const char c : to_str(v)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  check_string_size(out.size(), limits);
  return Value::string(std::move(out));
}

/// A filter of the string value without arguments.
FilterFn text_filter(std::string name, std::string (*fn)(std::string_view)) {
  return [name = std::move(name), fn](const Value& v, CallArgs& args, const Limits&) {
    BoundArgs(name, args, {}, 0);
    return Value::string(fn(to_str(v)));
  };
}

const std::vector<std::pair<std::string_view, FilterFn>>& filters() {
  static const std::vector<std::pair<std::string_view, FilterFn>> kFilters = [] {
    std::vector<std::pair<std::string_view, FilterFn>> f;
    f.emplace_back("abs", do_abs);
    f.emplace_back("capitalize", text_filter("capitalize", py_capitalize));
    f.emplace_back("count", do_length);
    f.emplace_back("d", do_default);
    f.emplace_back("default", do_default);
    f.emplace_back("e", do_escape);
    f.emplace_back("escape", do_escape);
    f.emplace_back("first", do_first);
    f.emplace_back("float", do_float);
    f.emplace_back("indent", do_indent);
    f.emplace_back("int", do_int);
    f.emplace_back("items", do_items);
    f.emplace_back("join", do_join);
    f.emplace_back("last", do_last);
    f.emplace_back("length", do_length);
    f.emplace_back("list", do_list);
    f.emplace_back("lower", text_filter("lower", ascii_lower));
    f.emplace_back("map", do_map);
    f.emplace_back("reject", [](const Value& v, CallArgs& a, const Limits& l) {
      return select_items(v, a, l, false, false, "reject");
    });
    f.emplace_back("rejectattr", [](const Value& v, CallArgs& a, const Limits& l) {
      return select_items(v, a, l, false, true, "rejectattr");
    });
    f.emplace_back("replace", do_replace);
    f.emplace_back("reverse", do_reverse);
    f.emplace_back("safe", [](const Value& v, CallArgs& a, const Limits&) {
      BoundArgs("safe", a, {}, 0);
      return v;
    });
    f.emplace_back("select", [](const Value& v, CallArgs& a, const Limits& l) {
      return select_items(v, a, l, true, false, "select");
    });
    f.emplace_back("selectattr", [](const Value& v, CallArgs& a, const Limits& l) {
      return select_items(v, a, l, true, true, "selectattr");
    });
    f.emplace_back("sort", do_sort);
    f.emplace_back("string", [](const Value& v, CallArgs& a, const Limits&) {
      BoundArgs("string", a, {}, 0);
      return Value::string(to_str(v));
    });
    f.emplace_back("sum", do_sum);
    f.emplace_back("title", do_title);
    f.emplace_back("tojson", do_tojson);
    f.emplace_back("trim", do_trim);
    f.emplace_back("upper", text_filter("upper", ascii_upper));
    return f;
  }();
  return kFilters;
}

}  // namespace

bool is_filter_name(std::string_view name) {
  for (const auto& [filter_name, fn] : filters()) {
    if (filter_name == name) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> filter_names() {
  std::vector<std::string> names;
  for (const auto& [filter_name, fn] : filters()) {
    names.emplace_back(filter_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Value apply_filter(const std::string& name, const Value& value, CallArgs& args,
                   const Limits& limits) {
  for (const auto& [filter_name, fn] : filters()) {
    if (filter_name == name) {
      return fn(value, args, limits);
    }
  }
  render_error("no filter named '" + name + "'");
}

}  // namespace disaggd::engine::jinja
