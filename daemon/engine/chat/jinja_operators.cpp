// Operators with Python semantics.
#include "engine/chat/jinja_operators.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_methods.h"
#include "engine/chat/python_text.h"

namespace disaggd::engine::jinja {
namespace {

const char* op_symbol(BinaryExpr::Op op) {
  switch (op) {
    case BinaryExpr::Op::kAdd:
      return "+";
    case BinaryExpr::Op::kSub:
      return "-";
    case BinaryExpr::Op::kMul:
      return "*";
    case BinaryExpr::Op::kDiv:
      return "/";
    case BinaryExpr::Op::kFloorDiv:
      return "//";
    case BinaryExpr::Op::kMod:
      return "%";
    case BinaryExpr::Op::kPow:
      return "**";
    default:
      return "?";
  }
}

[[noreturn]] void unsupported(BinaryExpr::Op op, const Value& a, const Value& b) {
  render_error(std::string("unsupported operand type(s) for ") + op_symbol(op) + ": '" +
               type_name(a) + "' and '" + type_name(b) + "'");
}

/// An int or bool (Python's int), with its value.
bool int_value(const Value& v, std::int64_t& out) {
  if (!v.is_json()) {
    return false;
  }
  const Json& j = v.json();
  if (j.is_boolean()) {
    out = j.get<bool>() ? 1 : 0;
    return true;
  }
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      render_error("integer too large");
    }
    out = j.get<std::int64_t>();
    return true;
  }
  return false;
}

double float_value(const Value& v) {
  const Json& j = v.json();
  return j.is_boolean() ? (j.get<bool>() ? 1.0 : 0.0) : j.get<double>();
}

[[noreturn]] void overflow() {
  render_error("integer overflow");
}

Value repeat_string(const std::string& text, std::int64_t times, const Limits& limits) {
  if (times <= 0 || text.empty()) {
    return Value::string("");
  }
  check_string_size(text.size() * static_cast<std::size_t>(std::min<std::int64_t>(times, 1 << 30)),
                    limits);
  std::string out;
  out.reserve(text.size() * static_cast<std::size_t>(times));
  for (std::int64_t i = 0; i < times; ++i) {
    out += text;
  }
  return Value::string(std::move(out));
}

Value repeat_list(const Json& list, std::int64_t times, const Limits& limits) {
  Json out = Json::array();
  if (times <= 0 || list.empty()) {
    return Value(std::move(out));
  }
  check_list_size(list.size() * static_cast<std::size_t>(std::min<std::int64_t>(times, 1 << 30)),
                  limits);
  for (std::int64_t i = 0; i < times; ++i) {
    for (const Json& item : list) {
      out.push_back(item);
    }
  }
  return Value(std::move(out));
}

Value int_arithmetic(BinaryExpr::Op op, std::int64_t x, std::int64_t y) {
  std::int64_t r = 0;
  switch (op) {
    case BinaryExpr::Op::kAdd:
      if (__builtin_add_overflow(x, y, &r)) {
        overflow();
      }
      return Value::integer(r);
    case BinaryExpr::Op::kSub:
      if (__builtin_sub_overflow(x, y, &r)) {
        overflow();
      }
      return Value::integer(r);
    case BinaryExpr::Op::kMul:
      if (__builtin_mul_overflow(x, y, &r)) {
        overflow();
      }
      return Value::integer(r);
    case BinaryExpr::Op::kDiv:
      if (y == 0) {
        render_error("division by zero");
      }
      return Value(Json(static_cast<double>(x) / static_cast<double>(y)));
    case BinaryExpr::Op::kFloorDiv:
    case BinaryExpr::Op::kMod: {
      if (y == 0) {
        render_error("integer division or modulo by zero");
      }
      if (x == std::numeric_limits<std::int64_t>::min() && y == -1) {
        if (op == BinaryExpr::Op::kMod) {
          return Value::integer(0);
        }
        overflow();
      }
      std::int64_t q = x / y;
      std::int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value::integer(op == BinaryExpr::Op::kFloorDiv ? q : m);
    }
    case BinaryExpr::Op::kPow: {
      if (y < 0) {
        if (x == 0) {
          render_error("0.0 cannot be raised to a negative power");
        }
        return Value(Json(std::pow(static_cast<double>(x), static_cast<double>(y))));
      }
      std::int64_t result = 1;
      std::int64_t base = x;
      std::int64_t e = y;
      while (e > 0) {
        if ((e & 1) != 0 && __builtin_mul_overflow(result, base, &result)) {
          overflow();
        }
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) {
          overflow();
        }
      }
      return Value::integer(result);
    }
    default:
      break;
  }
  render_error("bad arithmetic operator");
}

Value float_arithmetic(BinaryExpr::Op op, double x, double y) {
  switch (op) {
    case BinaryExpr::Op::kAdd:
      return Value(Json(x + y));
    case BinaryExpr::Op::kSub:
      return Value(Json(x - y));
    case BinaryExpr::Op::kMul:
      return Value(Json(x * y));
    case BinaryExpr::Op::kDiv:
      if (y == 0) {
        render_error("float division by zero");
      }
      return Value(Json(x / y));
    case BinaryExpr::Op::kFloorDiv:
    case BinaryExpr::Op::kMod: {
      if (y == 0) {
        render_error(op == BinaryExpr::Op::kMod ? "float modulo" : "float floor division by zero");
      }
      // CPython's _float_div_mod.
      double mod = std::fmod(x, y);
      double div = (x - mod) / y;
      if (mod != 0) {
        if ((y < 0) != (mod < 0)) {
          mod += y;
          div -= 1.0;
        }
      } else {
        mod = std::copysign(0.0, y);
      }
      if (op == BinaryExpr::Op::kMod) {
        return Value(Json(mod));
      }
      double floor_div = 0;
      if (div != 0) {
        floor_div = std::floor(div);
        if (div - floor_div > 0.5) {
          floor_div += 1.0;
        }
      } else {
        floor_div = std::copysign(0.0, x / y);
      }
      return Value(Json(floor_div));
    }
    case BinaryExpr::Op::kPow:
      if (x == 0 && y < 0) {
        render_error("0.0 cannot be raised to a negative power");
      }
      return Value(Json(std::pow(x, y)));
    default:
      break;
  }
  render_error("bad arithmetic operator");
}

/// Python's slice.indices() and the resulting positions.
std::vector<std::size_t> slice_positions(std::int64_t length, const Value& start_v,
                                         const Value& stop_v, const Value& step_v) {
  auto bound = [](const Value& v, std::int64_t& out) {
    if (v.is_undefined() || v.is_none()) {
      return false;
    }
    out = require_int(v, "slice index");
    return true;
  };
  std::int64_t step = 1;
  bound(step_v, step);
  if (step == 0) {
    render_error("slice step cannot be zero");
  }
  std::int64_t start = step < 0 ? std::numeric_limits<std::int64_t>::max() : 0;
  std::int64_t stop = step < 0 ? std::numeric_limits<std::int64_t>::min()
                               : std::numeric_limits<std::int64_t>::max();
  bound(start_v, start);
  bound(stop_v, stop);
  auto adjust = [&](std::int64_t& index) {
    if (index < 0) {
      index = index < -length ? (step < 0 ? -1 : 0) : index + length;
    } else if (index >= length) {
      index = step < 0 ? length - 1 : length;
    }
  };
  adjust(start);
  adjust(stop);
  std::vector<std::size_t> positions;
  if (step > 0) {
    for (std::int64_t i = start; i < stop; i += step) {
      positions.push_back(static_cast<std::size_t>(i));
      if (stop - i <= step) {
        break;
      }
    }
  } else {
    for (std::int64_t i = start; i > stop; i += step) {
      positions.push_back(static_cast<std::size_t>(i));
      if (i - stop + step <= 0) {
        break;
      }
    }
  }
  return positions;
}

Value loop_attribute(const Object& loop, const std::string& name) {
  const auto length = static_cast<std::int64_t>(loop.items->size());
  const auto index0 = static_cast<std::int64_t>(loop.index0);
  if (name == "index0") {
    return Value::integer(index0);
  }
  if (name == "index") {
    return Value::integer(index0 + 1);
  }
  if (name == "revindex") {
    return Value::integer(length - index0);
  }
  if (name == "revindex0") {
    return Value::integer(length - index0 - 1);
  }
  if (name == "first") {
    return Value::boolean(index0 == 0);
  }
  if (name == "last") {
    return Value::boolean(index0 + 1 == length);
  }
  if (name == "length") {
    return Value::integer(length);
  }
  if (name == "depth") {
    return Value::integer(1);
  }
  if (name == "depth0") {
    return Value::integer(0);
  }
  if (name == "previtem") {
    return index0 > 0 ? (*loop.items)[loop.index0 - 1]
                      : Value::undefined("there is no previous item");
  }
  if (name == "nextitem") {
    return index0 + 1 < length ? (*loop.items)[loop.index0 + 1]
                               : Value::undefined("there is no next item");
  }
  if (name == "cycle") {
    auto callable = std::make_shared<Callable>();
    callable->name = "loop.cycle";
    callable->call = [index0 = loop.index0](CallArgs& args) {
      if (args.positional.empty()) {
        render_error("loop.cycle() needs at least one argument");
      }
      return args.positional[index0 % args.positional.size()];
    };
    return Value::callable(std::move(callable));
  }
  return Value::undefined("'LoopContext' has no attribute '" + name + "'");
}

std::string object_type_repr(const Value& v) {
  if (v.is_none()) {
    return "None";
  }
  return type_name(v) + " object";
}

}  // namespace

Value binary_arithmetic(BinaryExpr::Op op, const Value& a, const Value& b, const Limits& limits) {
  if (a.is_undefined()) {
    undefined_error(a);
  }
  if (b.is_undefined()) {
    undefined_error(b);
  }
  if (a.is_number() && b.is_number()) {
    std::int64_t x = 0;
    std::int64_t y = 0;
    if (int_value(a, x) && int_value(b, y)) {
      return int_arithmetic(op, x, y);
    }
    return float_arithmetic(op, float_value(a), float_value(b));
  }
  std::int64_t times = 0;
  switch (op) {
    case BinaryExpr::Op::kAdd:
      if (a.is_string()) {
        if (!b.is_string()) {
          render_error("can only concatenate str (not \"" + type_name(b) + "\") to str");
        }
        check_string_size(a.str().size() + b.str().size(), limits);
        return Value::string(a.str() + b.str());
      }
      if (a.is_list()) {
        if (!b.is_list()) {
          render_error("can only concatenate list (not \"" + type_name(b) + "\") to list");
        }
        check_list_size(a.json().size() + b.json().size(), limits);
        Json joined = a.json();
        for (const Json& item : b.json()) {
          joined.push_back(item);
        }
        return Value(std::move(joined));
      }
      break;
    case BinaryExpr::Op::kMul:
      if (a.is_string() && int_value(b, times)) {
        return repeat_string(a.str(), times, limits);
      }
      if (b.is_string() && int_value(a, times)) {
        return repeat_string(b.str(), times, limits);
      }
      if (a.is_list() && int_value(b, times)) {
        return repeat_list(a.json(), times, limits);
      }
      if (b.is_list() && int_value(a, times)) {
        return repeat_list(b.json(), times, limits);
      }
      break;
    case BinaryExpr::Op::kMod:
      if (a.is_string()) {
        render_error("string formatting with '%' is not supported");
      }
      break;
    default:
      break;
  }
  unsupported(op, a, b);
}

Value unary_arithmetic(UnaryExpr::Op op, const Value& v) {
  if (v.is_undefined()) {
    undefined_error(v);
  }
  std::int64_t x = 0;
  if (int_value(v, x)) {
    if (op == UnaryExpr::Op::kNegate) {
      if (x == std::numeric_limits<std::int64_t>::min()) {
        overflow();
      }
      return Value::integer(-x);
    }
    return Value::integer(x);
  }
  if (v.is_float()) {
    return Value(
        Json(op == UnaryExpr::Op::kNegate ? -v.json().get<double>() : v.json().get<double>()));
  }
  render_error(std::string("bad operand type for unary ") +
               (op == UnaryExpr::Op::kNegate ? "-" : "+") + ": '" + type_name(v) + "'");
}

Value concat(const Value& a, const Value& b, const Limits& limits) {
  std::string out = to_str(a);
  append_str(out, b);
  check_string_size(out.size(), limits);
  return Value::string(std::move(out));
}

bool contains(const Value& container, const Value& item) {
  if (container.is_undefined()) {
    return false;
  }
  if (container.is_string()) {
    if (!item.is_string()) {
      render_error("'in <string>' requires string as left operand, not " + type_name(item));
    }
    return container.str().find(item.str()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const Json& element : container.json()) {
      if (values_equal(container.element(element), item)) {
        return true;
      }
    }
    return false;
  }
  if (container.is_dict()) {
    return item.is_string() && container.json().contains(item.str());
  }
  render_error("argument of type '" + type_name(container) + "' is not iterable");
}

Value get_attribute(const Value& object, const std::string& name, const Limits& limits) {
  switch (object.kind()) {
    case Value::Kind::kUndefined:
      undefined_error(object);
    case Value::Kind::kObject: {
      const Object& o = object.as_object();
      if (o.kind == Object::Kind::kLoop) {
        return loop_attribute(o, name);
      }
      if (const Value* found = o.find(name)) {
        return *found;
      }
      return Value::undefined("'Namespace' has no attribute '" + name + "'");
    }
    case Value::Kind::kCallable:
      return Value::undefined("'function' has no attribute '" + name + "'");
    case Value::Kind::kJson:
      break;
  }
  if (std::optional<Value> method = find_method(object, name, limits)) {
    return *method;
  }
  if (object.is_dict()) {
    const auto it = object.json().find(name);
    if (it != object.json().end()) {
      return object.element(*it);
    }
  }
  return Value::undefined("'" + object_type_repr(object) + "' has no attribute '" + name + "'");
}

Value get_item(const Value& object, const Value& key, const Limits& limits) {
  if (object.is_undefined()) {
    undefined_error(object);
  }
  std::int64_t index = 0;
  if (object.is_list() || object.is_string()) {
    if (int_value(key, index)) {
      if (object.is_list()) {
        const auto length = static_cast<std::int64_t>(object.json().size());
        const std::int64_t at = index < 0 ? index + length : index;
        if (at >= 0 && at < length) {
          return object.element(object.json()[static_cast<std::size_t>(at)]);
        }
      } else {
        const std::vector<std::size_t> offsets = code_point_offsets(object.str());
        const auto length = static_cast<std::int64_t>(offsets.size() - 1);
        const std::int64_t at = index < 0 ? index + length : index;
        if (at >= 0 && at < length) {
          const auto i = static_cast<std::size_t>(at);
          return Value::string(object.str().substr(offsets[i], offsets[i + 1] - offsets[i]));
        }
      }
      return Value::undefined(type_name(object) + " object has no element " +
                              std::to_string(index));
    }
  }
  if (object.is_dict() && key.is_string()) {
    const auto it = object.json().find(key.str());
    if (it != object.json().end()) {
      return object.element(*it);
    }
  }
  if (key.is_string()) {
    return get_attribute(object, key.str(), limits);
  }
  return Value::undefined(object_type_repr(object) + " has no element " + to_repr(key));
}

Value slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  if (object.is_undefined()) {
    undefined_error(object);
  }
  if (object.is_list()) {
    const Json& list = object.json();
    Json out = Json::array();
    for (const std::size_t i :
         slice_positions(static_cast<std::int64_t>(list.size()), start, stop, step)) {
      out.push_back(list[i]);
    }
    return Value(std::move(out));
  }
  if (object.is_string()) {
    const std::string& text = object.str();
    const std::vector<std::size_t> offsets = code_point_offsets(text);
    std::string out;
    for (const std::size_t i :
         slice_positions(static_cast<std::int64_t>(offsets.size() - 1), start, stop, step)) {
      out.append(text, offsets[i], offsets[i + 1] - offsets[i]);
    }
    return Value::string(std::move(out));
  }
  if (object.is_dict()) {
    render_error("unhashable type: 'slice'");
  }
  render_error("'" + type_name(object) + "' object is not subscriptable");
}

}  // namespace disaggd::engine::jinja
