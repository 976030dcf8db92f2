// String and dict methods, and the builtin global functions.
#include "engine/chat/jinja_methods.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "engine/chat/jinja_arguments.h"
#include "engine/chat/jinja_error.h"
#include "engine/chat/python_text.h"

namespace disaggd::engine::jinja {
namespace {

using Method = std::function<Value(const Value& self, CallArgs& args, const Limits& limits)>;

Value bind(const Value& receiver, std::string name, Method method, const Limits& limits) {
  auto callable = std::make_shared<Callable>();
  callable->name = std::move(name);
  callable->call = [receiver, method = std::move(method), limits](CallArgs& args) {
    return method(receiver, args, limits);
  };
  return Value::callable(std::move(callable));
}

Value string_list(const std::vector<std::string>& parts) {
  Json list = Json::array();
  for (const std::string& part : parts) {
    list.push_back(part);
  }
  return Value(std::move(list));
}

/// An optional string argument (absent or none: nullopt).
std::optional<std::string> optional_string(const BoundArgs& bound, std::size_t i,
                                           std::string_view what) {
  if (!bound.has(i) || bound.get(i).is_none()) {
    return std::nullopt;
  }
  return require_string(bound.get(i), what);
}

template <class Pred>
Value char_class_test(const Value& self, Pred pred) {
  const std::string& text = self.str();
  if (text.empty()) {
    return Value::boolean(false);
  }
  return Value::boolean(std::all_of(text.begin(), text.end(), pred));
}

/// startswith/endswith: a string or a list (Python's tuple) of strings.
Value affix_test(const Value& self, CallArgs& args, const char* name, bool prefix) {
  BoundArgs bound(std::string("str.") + name, args, {"affix"}, 1);
  const std::string& text = self.str();
  auto matches = [&](const Value& affix) {
    const std::string& a = require_string(affix, std::string("str.") + name + "() argument");
    return prefix ? text.starts_with(a) : text.ends_with(a);
  };
  if (bound.get(0).is_list()) {
    for (const Value& item : iterate(bound.get(0))) {
      if (matches(item)) {
        return Value::boolean(true);
      }
    }
    return Value::boolean(false);
  }
  return Value::boolean(matches(bound.get(0)));
}

Value strip_method(const Value& self, CallArgs& args, const char* name, bool left, bool right) {
  BoundArgs bound(std::string("str.") + name, args, {"chars"}, 0);
  const auto chars = optional_string(bound, 0, "strip characters");
  return Value::string(std::string(chars ? py_strip_chars(self.str(), *chars, left, right)
                                         : py_strip(self.str(), left, right)));
}

Value split_method(const Value& self, CallArgs& args, bool from_right) {
  BoundArgs bound(from_right ? "str.rsplit" : "str.split", args, {"sep", "maxsplit"}, 0);
  const auto sep = optional_string(bound, 0, "separator");
  if (sep && sep->empty()) {
    render_error("empty separator");
  }
  const long long maxsplit = bound.has(1) ? require_int(bound.get(1), "maxsplit") : -1;
  return string_list(from_right ? py_rsplit(self.str(), sep, maxsplit)
                                : py_split(self.str(), sep, maxsplit));
}

std::optional<Value> string_method(const Value& self, const std::string& name,
                                   const Limits& limits) {
  static const std::vector<std::pair<std::string_view, Method>> kMethods = {
      {"startswith", [](const Value& s, CallArgs& a,
                        const Limits&) { return affix_test(s, a, "startswith", true); }},
      {"endswith", [](const Value& s, CallArgs& a,
                      const Limits&) { return affix_test(s, a, "endswith", false); }},
      {"strip", [](const Value& s, CallArgs& a,
                   const Limits&) { return strip_method(s, a, "strip", true, true); }},
      {"lstrip", [](const Value& s, CallArgs& a,
                    const Limits&) { return strip_method(s, a, "lstrip", true, false); }},
      {"rstrip", [](const Value& s, CallArgs& a,
                    const Limits&) { return strip_method(s, a, "rstrip", false, true); }},
      {"split",
       [](const Value& s, CallArgs& a, const Limits&) { return split_method(s, a, false); }},
      {"rsplit",
       [](const Value& s, CallArgs& a, const Limits&) { return split_method(s, a, true); }},
      {"splitlines",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.splitlines", a, {}, 0);
         return string_list(py_splitlines(s.str()));
       }},
      {"upper",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.upper", a, {}, 0);
         return Value::string(ascii_upper(s.str()));
       }},
      {"lower",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.lower", a, {}, 0);
         return Value::string(ascii_lower(s.str()));
       }},
      {"capitalize",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.capitalize", a, {}, 0);
         return Value::string(py_capitalize(s.str()));
       }},
      {"replace",
       [](const Value& s, CallArgs& a, const Limits& l) {
         BoundArgs bound("str.replace", a, {"old", "new", "count"}, 2);
         const std::string& old = require_string(bound.get(0), "str.replace() old");
         const std::string& replacement = require_string(bound.get(1), "str.replace() new");
         const long long count = bound.has(2) ? require_int(bound.get(2), "count") : -1;
         const std::size_t hits = py_count(s.str(), old);
         check_string_size(s.str().size() + hits * replacement.size(), l);
         return Value::string(py_replace(s.str(), old, replacement, count));
       }},
      {"find",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs bound("str.find", a, {"sub"}, 1);
         const std::size_t at = s.str().find(require_string(bound.get(0), "str.find() argument"));
         return Value::integer(at == std::string::npos ? -1
                                                       : static_cast<std::int64_t>(code_point_count(
                                                             s.str().substr(0, at))));
       }},
      {"count",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs bound("str.count", a, {"sub"}, 1);
         return Value::integer(static_cast<std::int64_t>(
             py_count(s.str(), require_string(bound.get(0), "str.count() argument"))));
       }},
      {"join",
       [](const Value& s, CallArgs& a, const Limits& l) {
         BoundArgs bound("str.join", a, {"iterable"}, 1);
         std::string out;
         bool first = true;
         for (const Value& item : iterate(bound.get(0))) {
           if (!first) {
             out += s.str();
           }
           first = false;
           out += require_string(item, "str.join() item");
           check_string_size(out.size(), l);
         }
         return Value::string(std::move(out));
       }},
      {"isdigit",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.isdigit", a, {}, 0);
         return char_class_test(s, [](char c) { return c >= '0' && c <= '9'; });
       }},
      {"isalpha",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.isalpha", a, {}, 0);
         return char_class_test(
             s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
       }},
      {"isspace",
       [](const Value& s, CallArgs& a, const Limits&) {
         BoundArgs("str.isspace", a, {}, 0);
         return Value::boolean(!s.str().empty() && py_strip(s.str(), true, true).empty());
       }},
  };
  for (const auto& [method_name, method] : kMethods) {
    if (method_name == name) {
      return bind(self, "str." + name, method, limits);
    }
  }
  return std::nullopt;
}

std::optional<Value> dict_method(const Value& self, const std::string& name, const Limits& limits) {
  if (name == "get") {
    return bind(
        self, "dict.get",
        [](const Value& d, CallArgs& a, const Limits&) {
          BoundArgs bound("dict.get", a, {"key", "default"}, 1);
          if (bound.get(0).is_string()) {
            const auto it = d.json().find(bound.get(0).str());
            if (it != d.json().end()) {
              return d.element(*it);
            }
          }
          return bound.get_or(1, Value::none());
        },
        limits);
  }
  if (name == "items") {
    return bind(
        self, "dict.items",
        [](const Value& d, CallArgs& a, const Limits&) {
          BoundArgs("dict.items", a, {}, 0);
          Json pairs = Json::array();
          for (const auto& [key, item] : d.json().items()) {
            pairs.push_back(Json::array({key, item}));
          }
          return Value(std::move(pairs));
        },
        limits);
  }
  if (name == "keys") {
    return bind(
        self, "dict.keys",
        [](const Value& d, CallArgs& a, const Limits&) {
          BoundArgs("dict.keys", a, {}, 0);
          Json keys = Json::array();
          for (const auto& [key, item] : d.json().items()) {
            keys.push_back(key);
          }
          return Value(std::move(keys));
        },
        limits);
  }
  if (name == "values") {
    return bind(
        self, "dict.values",
        [](const Value& d, CallArgs& a, const Limits&) {
          BoundArgs("dict.values", a, {}, 0);
          Json values = Json::array();
          for (const auto& [key, item] : d.json().items()) {
            values.push_back(item);
          }
          return Value(std::move(values));
        },
        limits);
  }
  return std::nullopt;
}

Value make_global(std::string name, std::function<Value(CallArgs&)> fn) {
  auto callable = std::make_shared<Callable>();
  callable->name = std::move(name);
  callable->call = std::move(fn);
  return Value::callable(std::move(callable));
}

}  // namespace

std::optional<Value> find_method(const Value& receiver, const std::string& name,
                                 const Limits& limits) {
  if (receiver.is_string()) {
    return string_method(receiver, name, limits);
  }
  if (receiver.is_dict()) {
    return dict_method(receiver, name, limits);
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, Value>> builtin_globals(const Limits& limits) {
  std::vector<std::pair<std::string, Value>> globals;
  globals.emplace_back("range", make_global("range", [limits](CallArgs& args) {
                         BoundArgs bound("range", args, {"start", "stop", "step"}, 1);
                         std::int64_t start = 0;
                         std::int64_t stop = require_int(bound.get(0), "range() argument");
                         std::int64_t step = 1;
                         if (bound.has(1)) {
                           start = stop;
                           stop = require_int(bound.get(1), "range() argument");
                         }
                         if (bound.has(2)) {
                           step = require_int(bound.get(2), "range() argument");
                         }
                         if (step == 0) {
                           render_error("range() arg 3 must not be zero");
                         }
                         const long double count =
                             step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                                      : (static_cast<long double>(start) - stop - step - 1) / -step;
                         if (count > static_cast<long double>(limits.max_items)) {
                           throw TemplateError(TemplateError::Kind::kLimit,
                                               "range() is limited to " +
                                                   std::to_string(limits.max_items) + " items");
                         }
                         Json list = Json::array();
                         for (std::int64_t i = start; step > 0 ? i < stop : i > stop;) {
                           list.push_back(i);
                           if (__builtin_add_overflow(i, step, &i)) {
                             break;
                           }
                         }
                         return Value(std::move(list));
                       }));
  globals.emplace_back(
      "namespace", make_global("namespace", [](CallArgs& args) {
        auto object = std::make_shared<Object>(Object::Kind::kNamespace);
        if (args.positional.size() > 1) {
          render_error("namespace() takes at most one positional argument");
        }
        if (!args.positional.empty()) {
          const Value& initial = args.positional.front();
          if (!initial.is_dict()) {
            render_error("namespace() argument must be a dict, not '" + type_name(initial) + "'");
          }
          for (const auto& [key, item] : initial.json().items()) {
            object->set(key, initial.element(item));
          }
        }
        for (auto& [key, value] : args.keyword) {
          object->set(key, std::move(value));
        }
        return Value::object(std::move(object));
      }));
  globals.emplace_back("dict", make_global("dict", [](CallArgs& args) {
                         if (!args.positional.empty()) {
                           render_error("dict() takes keyword arguments only");
                         }
                         Json object = Json::object();
                         for (auto& [key, value] : args.keyword) {
                           object[key] = to_json(value);
                         }
                         return Value(std::move(object));
                       }));
  return globals;
}

}  // namespace disaggd::engine::jinja
