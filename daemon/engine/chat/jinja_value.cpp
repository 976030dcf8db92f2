// Value and its Python semantics.
#include "engine/chat/jinja_value.h"

#include "engine/chat/jinja_error.h"
#include "engine/chat/python_text.h"

namespace disaggd::engine::jinja {
namespace {

bool is_int_like(const Json& j) {
  return j.is_number_integer() || j.is_boolean();
}

bool is_numeric(const Json& j) {
  return j.is_number() || j.is_boolean();
}

/// Sign and magnitude of an int-like JSON value (int64, uint64 or bool).
void sign_magnitude(const Json& j, bool& negative, std::uint64_t& magnitude) {
  if (j.is_boolean()) {
    negative = false;
    magnitude = j.get<bool>() ? 1 : 0;
  } else if (j.is_number_unsigned()) {
    negative = false;
    magnitude = j.get<std::uint64_t>();
  } else {
    const auto v = j.get<std::int64_t>();
    negative = v < 0;
    magnitude = negative ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
  }
}

int compare_ints(const Json& a, const Json& b) {
  bool a_neg = false;
  bool b_neg = false;
  std::uint64_t a_mag = 0;
  std::uint64_t b_mag = 0;
  sign_magnitude(a, a_neg, a_mag);
  sign_magnitude(b, b_neg, b_mag);
  if (a_neg != b_neg) {
    return a_neg ? -1 : 1;
  }
  const int order = a_mag < b_mag ? -1 : (a_mag > b_mag ? 1 : 0);
  return a_neg ? -order : order;
}

double as_double(const Json& j) {
  if (j.is_boolean()) {
    return j.get<bool>() ? 1.0 : 0.0;
  }
  return j.get<double>();
}

int compare_numbers(const Json& a, const Json& b) {
  if (is_int_like(a) && is_int_like(b)) {
    return compare_ints(a, b);
  }
  const double x = as_double(a);
  const double y = as_double(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

std::string json_type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "NoneType";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::number_float:
      return "float";
    case Json::value_t::string:
      return "str";
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "dict";
    default:
      return "object";
  }
}

void append_json_str(std::string& out, const Json& j, bool repr);

void append_json_repr(std::string& out, const Json& j) {
  append_json_str(out, j, true);
}

void append_json_str(std::string& out, const Json& j, bool repr) {
  switch (j.type()) {
    case Json::value_t::null:
      out += "None";
      return;
    case Json::value_t::boolean:
      out += j.get<bool>() ? "True" : "False";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(j.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(j.get<std::uint64_t>());
      return;
    case Json::value_t::number_float:
      out += py_float_repr(j.get<double>());
      return;
    case Json::value_t::string:
      if (repr) {
        out += py_repr_string(j.get_ref<const std::string&>());
      } else {
        out += j.get_ref<const std::string&>();
      }
      return;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& item : j) {
        if (!first) {
          out += ", ";
        }
        first = false;
        append_json_repr(out, item);
      }
      out += ']';
      return;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : j.items()) {
        if (!first) {
          out += ", ";
        }
        first = false;
        out += py_repr_string(key);
        out += ": ";
        append_json_repr(out, item);
      }
      out += '}';
      return;
    }
    default:
      out += "<binary>";
      return;
  }
}

bool json_equal(const Json& a, const Json& b) {
  if (is_numeric(a) && is_numeric(b)) {
    return compare_numbers(a, b) == 0;
  }
  if (a.type() != b.type()) {
    return false;
  }
  switch (a.type()) {
    case Json::value_t::null:
      return true;
    case Json::value_t::string:
      return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
    case Json::value_t::array:
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!json_equal(a[i], b[i])) {
          return false;
        }
      }
      return true;
    case Json::value_t::object:
      if (a.size() != b.size()) {
        return false;
      }
      for (const auto& [key, item] : a.items()) {
        const auto it = b.find(key);
        if (it == b.end() || !json_equal(item, *it)) {
          return false;
        }
      }
      return true;
    default:
      return a == b;
  }
}

int compare_json(const Json& a, const Json& b, std::string_view op) {
  if (is_numeric(a) && is_numeric(b)) {
    return compare_numbers(a, b);
  }
  if (a.is_string() && b.is_string()) {
    const int order = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return order < 0 ? -1 : (order > 0 ? 1 : 0);
  }
  if (a.is_array() && b.is_array()) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (!json_equal(a[i], b[i])) {
        return compare_json(a[i], b[i], op);
      }
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  render_error("'" + std::string(op) + "' not supported between instances of '" +
               json_type_name(a) + "' and '" + json_type_name(b) + "'");
}

}  // namespace

Value::Value(Json json)
    : kind_(Kind::kJson), json_(std::make_shared<const Json>(std::move(json))) {}

Value::Value(std::shared_ptr<const Json> json) : kind_(Kind::kJson), json_(std::move(json)) {}

Value Value::undefined(std::string hint) {
  Value value;
  value.hint_ = std::move(hint);
  return value;
}

Value Value::object(std::shared_ptr<Object> object) {
  Value value;
  value.kind_ = Kind::kObject;
  value.object_ = std::move(object);
  return value;
}

Value Value::callable(std::shared_ptr<const Callable> callable) {
  Value value;
  value.kind_ = Kind::kCallable;
  value.callable_ = std::move(callable);
  return value;
}

const Value* Object::find(std::string_view name) const {
  for (const auto& [key, value] : attributes) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

void Object::set(const std::string& name, Value value) {
  for (auto& [key, existing] : attributes) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  attributes.emplace_back(name, std::move(value));
}

void check_string_size(std::size_t bytes, const Limits& limits) {
  if (bytes > limits.max_bytes) {
    throw TemplateError(TemplateError::Kind::kLimit,
                        "a string of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                            std::to_string(limits.max_bytes) + " bytes");
  }
}

void check_list_size(std::size_t items, const Limits& limits) {
  if (items > limits.max_items) {
    throw TemplateError(TemplateError::Kind::kLimit,
                        "a list of " + std::to_string(items) + " items exceeds the limit of " +
                            std::to_string(limits.max_items) + " items");
  }
}

std::string type_name(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kJson:
      return json_type_name(value.json());
    case Value::Kind::kObject:
      return value.as_object().kind == Object::Kind::kNamespace ? "Namespace" : "LoopContext";
    case Value::Kind::kCallable:
      return "function";
  }
  return "object";
}

bool truthy(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return false;
    case Value::Kind::kObject:
    case Value::Kind::kCallable:
      return true;
    case Value::Kind::kJson:
      break;
  }
  const Json& j = value.json();
  switch (j.type()) {
    case Json::value_t::null:
      return false;
    case Json::value_t::boolean:
      return j.get<bool>();
    case Json::value_t::number_integer:
      return j.get<std::int64_t>() != 0;
    case Json::value_t::number_unsigned:
      return j.get<std::uint64_t>() != 0;
    case Json::value_t::number_float:
      return j.get<double>() != 0.0;
    case Json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
      return !j.empty();
    default:
      return true;
  }
}

void append_str(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return;
    case Value::Kind::kJson:
      append_json_str(out, value.json(), false);
      return;
    case Value::Kind::kObject: {
      const Object& object = value.as_object();
      if (object.kind == Object::Kind::kLoop) {
        out += "<LoopContext " + std::to_string(object.index0 + 1) + "/" +
               std::to_string(object.items->size()) + ">";
        return;
      }
      out += "<Namespace {";
      bool first = true;
      for (const auto& [key, item] : object.attributes) {
        if (!first) {
          out += ", ";
        }
        first = false;
        out += py_repr_string(key) + ": " + to_repr(item);
      }
      out += "}>";
      return;
    }
    case Value::Kind::kCallable:
      out += "<function " + value.as_callable().name + ">";
      return;
  }
}

std::string to_str(const Value& value) {
  if (value.is_string()) {
    return value.str();
  }
  std::string out;
  append_str(out, value);
  return out;
}

std::string to_repr(const Value& value) {
  if (value.is_undefined()) {
    return "Undefined";
  }
  if (value.is_json()) {
    std::string out;
    append_json_repr(out, value.json());
    return out;
  }
  return to_str(value);
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    return a.is_undefined() && b.is_undefined();
  }
  if (a.is_json() && b.is_json()) {
    return json_equal(a.json(), b.json());
  }
  if (a.is_object() && b.is_object()) {
    return a.object_ptr() == b.object_ptr();
  }
  if (a.is_callable() && b.is_callable()) {
    return &a.as_callable() == &b.as_callable();
  }
  return false;
}

int compare_values(const Value& a, const Value& b, std::string_view op) {
  if (a.is_undefined()) {
    undefined_error(a);
  }
  if (b.is_undefined()) {
    undefined_error(b);
  }
  if (!a.is_json() || !b.is_json()) {
    render_error("'" + std::string(op) + "' not supported between instances of '" + type_name(a) +
                 "' and '" + type_name(b) + "'");
  }
  return compare_json(a.json(), b.json(), op);
}

Json to_json(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return Json(nullptr);
    case Value::Kind::kJson:
      if (json_deeper_than(value.json(), kMaxValueDepth - 1)) {
        throw TemplateError(TemplateError::Kind::kLimit,
                            "values nest lists and dicts deeper than " +
                                std::to_string(kMaxValueDepth) + " levels");
      }
      return value.json();
    default:
      render_error("a " + type_name(value) + " cannot be stored in a list or dict");
  }
}

const Json& require_json(const Value& value, std::string_view what) {
  if (!value.is_json()) {
    render_error(std::string(what) + ": object of type '" + type_name(value) +
                 "' is not JSON serializable");
  }
  return value.json();
}

std::vector<Value> iterate(const Value& value) {
  std::vector<Value> items;
  if (value.is_undefined()) {
    return items;
  }
  if (value.is_json()) {
    const Json& j = value.json();
    if (j.is_array()) {
      items.reserve(j.size());
      for (const Json& item : j) {
        items.push_back(value.element(item));
      }
      return items;
    }
    if (j.is_object()) {
      items.reserve(j.size());
      for (const auto& [key, item] : j.items()) {
        items.push_back(Value::string(key));
      }
      return items;
    }
    if (j.is_string()) {
      const std::string& text = j.get_ref<const std::string&>();
      std::size_t pos = 0;
      while (pos < text.size()) {
        const std::size_t start = pos;
        next_code_point(text, pos);
        items.push_back(Value::string(text.substr(start, pos - start)));
      }
      return items;
    }
  }
  render_error("'" + type_name(value) + "' object is not iterable");
}

void undefined_error(const Value& value) {
  render_error(value.undefined_hint().empty() ? "a value is undefined" : value.undefined_hint());
}

std::int64_t require_int(const Value& value, std::string_view what) {
  if (value.is_json() && value.json().is_boolean()) {
    return value.json().get<bool>() ? 1 : 0;
  }
  if (value.is_int()) {
    if (value.json().is_number_unsigned() &&
        value.json().get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      render_error(std::string(what) + ": integer too large");
    }
    return value.json().get<std::int64_t>();
  }
  if (value.is_undefined()) {
    undefined_error(value);
  }
  render_error(std::string(what) + " must be an integer, not '" + type_name(value) + "'");
}

const std::string& require_string(const Value& value, std::string_view what) {
  if (value.is_string()) {
    return value.str();
  }
  if (value.is_undefined()) {
    undefined_error(value);
  }
  render_error(std::string(what) + " must be a string, not '" + type_name(value) + "'");
}

}  // namespace disaggd::engine::jinja
