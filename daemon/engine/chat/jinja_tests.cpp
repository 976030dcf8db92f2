// Jinja's tests.
#include "engine/chat/jinja_tests.h"

#include <functional>
#include <vector>

#include "engine/chat/jinja_arguments.h"
#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_filters.h"
#include "engine/chat/jinja_operators.h"

namespace disaggd::engine::jinja {
namespace {

using TestFn = std::function<bool(const Value&, CallArgs&)>;

/// A test without arguments.
TestFn plain(std::string name, std::function<bool(const Value&)> fn) {
  return [name = std::move(name), fn = std::move(fn)](const Value& v, CallArgs& args) {
    BoundArgs(name, args, {}, 0);
    return fn(v);
  };
}

/// A test comparing the value with one argument.
TestFn comparison(std::string name, std::function<bool(const Value&, const Value&)> fn) {
  return [name = std::move(name), fn = std::move(fn)](const Value& v, CallArgs& args) {
    BoundArgs bound(name, args, {"other"}, 1);
    return fn(v, bound.get(0));
  };
}

/// Python's `value % divisor` (the odd, even and divisibleby tests use it, so floats work too).
Value modulo(const Value& value, const Value& divisor) {
  return binary_arithmetic(BinaryExpr::Op::kMod, value, divisor, Limits());
}

bool has_cased(const std::string& text, bool lower) {
  bool cased = false;
  for (const char c : text) {
    if (c >= 'a' && c <= 'z') {
      if (!lower) {
        return false;
      }
      cased = true;
    } else if (c >= 'A' && c <= 'Z') {
      if (lower) {
        return false;
      }
      cased = true;
    }
  }
  return cased;
}

bool same_as(const Value& a, const Value& b) {
  if (a.is_json() && b.is_json()) {
    const Json& x = a.json();
    const Json& y = b.json();
    if ((x.is_null() && y.is_null()) ||
        (x.is_boolean() && y.is_boolean() && x.get<bool>() == y.get<bool>())) {
      return true;
    }
    return a.json_ptr() == b.json_ptr();
  }
  if (a.is_undefined() || b.is_undefined()) {
    return false;
  }
  return values_equal(a, b);
}

const std::vector<std::pair<std::string_view, TestFn>>& tests() {
  static const std::vector<std::pair<std::string_view, TestFn>> kTests = [] {
    std::vector<std::pair<std::string_view, TestFn>> t;
    t.emplace_back("defined", plain("defined", [](const Value& v) { return !v.is_undefined(); }));
    t.emplace_back("undefined",
                   plain("undefined", [](const Value& v) { return v.is_undefined(); }));
    t.emplace_back("none", plain("none", [](const Value& v) { return v.is_none(); }));
    t.emplace_back("boolean", plain("boolean", [](const Value& v) { return v.is_bool(); }));
    t.emplace_back(
        "true", plain("true", [](const Value& v) { return v.is_bool() && v.json().get<bool>(); }));
    t.emplace_back("false", plain("false", [](const Value& v) {
                     return v.is_bool() && !v.json().get<bool>();
                   }));
    t.emplace_back("integer", plain("integer", [](const Value& v) { return v.is_int(); }));
    t.emplace_back("float", plain("float", [](const Value& v) { return v.is_float(); }));
    t.emplace_back("number", plain("number", [](const Value& v) { return v.is_number(); }));
    t.emplace_back("string", plain("string", [](const Value& v) { return v.is_string(); }));
    t.emplace_back("mapping", plain("mapping", [](const Value& v) { return v.is_dict(); }));
    t.emplace_back("iterable", plain("iterable", [](const Value& v) {
                     return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
                   }));
    t.emplace_back("sequence", plain("sequence", [](const Value& v) {
                     return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
                   }));
    t.emplace_back("callable", plain("callable", [](const Value& v) { return v.is_callable(); }));
    t.emplace_back("odd", plain("odd", [](const Value& v) {
                     return values_equal(modulo(v, Value::integer(2)), Value::integer(1));
                   }));
    t.emplace_back("even", plain("even", [](const Value& v) {
                     return values_equal(modulo(v, Value::integer(2)), Value::integer(0));
                   }));
    t.emplace_back("lower",
                   plain("lower", [](const Value& v) { return has_cased(to_str(v), true); }));
    t.emplace_back("upper",
                   plain("upper", [](const Value& v) { return has_cased(to_str(v), false); }));
    t.emplace_back("escaped", plain("escaped", [](const Value&) { return false; }));
    t.emplace_back("filter", plain("filter", [](const Value& v) {
                     return v.is_string() && is_filter_name(v.str());
                   }));
    t.emplace_back("test", plain("test", [](const Value& v) {
                     return v.is_string() && is_test_name(v.str());
                   }));
    t.emplace_back("divisibleby", comparison("divisibleby", [](const Value& v, const Value& n) {
                     return values_equal(modulo(v, n), Value::integer(0));
                   }));
    const auto eq = [](const Value& a, const Value& b) { return values_equal(a, b); };
    const auto ne = [](const Value& a, const Value& b) { return !values_equal(a, b); };
    const auto lt = [](const Value& a, const Value& b) { return compare_values(a, b, "<") < 0; };
    const auto le = [](const Value& a, const Value& b) { return compare_values(a, b, "<=") <= 0; };
    const auto gt = [](const Value& a, const Value& b) { return compare_values(a, b, ">") > 0; };
    const auto ge = [](const Value& a, const Value& b) { return compare_values(a, b, ">=") >= 0; };
    for (const std::string_view name : {"eq", "equalto", "=="}) {
      t.emplace_back(name, comparison(std::string(name), eq));
    }
    for (const std::string_view name : {"ne", "!="}) {
      t.emplace_back(name, comparison(std::string(name), ne));
    }
    for (const std::string_view name : {"lt", "lessthan", "<"}) {
      t.emplace_back(name, comparison(std::string(name), lt));
    }
    for (const std::string_view name : {"le", "<="}) {
      t.emplace_back(name, comparison(std::string(name), le));
    }
    for (const std::string_view name : {"gt", "greaterthan", ">"}) {
      t.emplace_back(name, comparison(std::string(name), gt));
    }
    for (const std::string_view name : {"ge", ">="}) {
      t.emplace_back(name, comparison(std::string(name), ge));
    }
    t.emplace_back(
        "in", comparison("in", [](const Value& v, const Value& seq) { return contains(seq, v); }));
    t.emplace_back("sameas", comparison("sameas", same_as));
    return t;
  }();
  return kTests;
}

}  // namespace

bool is_test_name(std::string_view name) {
  for (const auto& [test_name, fn] : tests()) {
    if (test_name == name) {
      return true;
    }
  }
  return false;
}

bool apply_test(const std::string& name, const Value& value, CallArgs& args) {
  for (const auto& [test_name, fn] : tests()) {
    if (test_name == name) {
      return fn(value, args);
    }
  }
  render_error("no test named '" + name + "'");
}

}  // namespace disaggd::engine::jinja
