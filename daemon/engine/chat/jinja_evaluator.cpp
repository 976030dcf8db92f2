// The chat template evaluator. Scopes follow Jinja: a for loop's body gets a fresh scope for each
// iteration (assignments inside do not leak out; namespace() objects are the way to carry state),
// a macro call gets a scope whose parent is the scope it was defined in, `if` opens none.
#include "engine/chat/jinja_evaluator.h"

#include <map>
#include <memory>

#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_filters.h"
#include "engine/chat/jinja_methods.h"
#include "engine/chat/jinja_operators.h"
#include "engine/chat/jinja_tests.h"

namespace disaggd::engine::jinja {
namespace {

struct Scope {
  explicit Scope(std::shared_ptr<Scope> p) : parent(std::move(p)) {}
  std::shared_ptr<Scope> parent;
  std::map<std::string, Value, std::less<>> vars;

  const Value* find(std::string_view name) const {
    for (const Scope* scope = this; scope != nullptr; scope = scope->parent.get()) {
      const auto it = scope->vars.find(name);
      if (it != scope->vars.end()) {
        return &it->second;
      }
    }
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

class Evaluator {
 public:
  Evaluator(const Template& tmpl, const RenderSettings& settings)
      : template_(tmpl), settings_(settings) {}
  ~Evaluator() {
    for (const auto& object : namespaces_) {
      object->attributes.clear();
    }
  }
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  std::string render(const Json& context) {
    if (!context.is_object()) {
      render_error("the template context must be a JSON object");
    }
    if (json_deeper_than(context, kMaxValueDepth)) {
      throw TemplateError(TemplateError::Kind::kLimit,
                          "the template context nests lists and objects deeper than " +
                              std::to_string(kMaxValueDepth) + " levels");
    }
    auto globals = std::make_shared<Scope>(nullptr);
    for (auto& [name, value] : builtin_globals(settings_.limits)) {
      globals->vars[name] = std::move(value);
    }
    // namespace() objects are the only values that can refer to each other (ns.a = other_ns), so
    // the render keeps them and empties them at its end, which breaks any reference cycle.
    const Value make_namespace = globals->vars["namespace"];
    globals->vars["namespace"] = make_function("namespace", [this, make_namespace](CallArgs& args) {
      if (namespaces_.size() >= settings_.limits.max_items) {
        throw TemplateError(TemplateError::Kind::kLimit,
                            "the template made more than " +
                                std::to_string(settings_.limits.max_items) +
                                " namespace() objects");
      }
      Value object = make_namespace.as_callable().call(args);
      namespaces_.push_back(object.object_ptr());
      return object;
    });
    globals->vars["raise_exception"] =
        make_function("raise_exception", [](CallArgs& args) -> Value {
          if (args.positional.size() != 1 || !args.keyword.empty()) {
            render_error("raise_exception() takes exactly one argument");
          }
          throw TemplateError(TemplateError::Kind::kRaised, to_str(args.positional.front()));
        });
    globals->vars["strftime_now"] = make_function("strftime_now", [this](CallArgs& args) {
      if (args.positional.size() != 1 || !args.keyword.empty()) {
        render_error("strftime_now() takes exactly one argument");
      }
      const std::string& format = require_string(args.positional.front(), "strftime_now() format");
      if (!settings_.strftime_now) {
        render_error("strftime_now() is not available");
      }
      return Value::string(settings_.strftime_now(format));
    });
    // A non-owning pointer: the context outlives the render, and no value escapes it.
    const std::shared_ptr<const Json> document(std::shared_ptr<const Json>(), &context);
    const Value root(document);
    auto scope = std::make_shared<Scope>(globals);
    for (const auto& [key, item] : context.items()) {
      scope->vars[key] = root.element(item);
    }
    std::string out;
    exec_body(template_.body, out, scope);
    return out;
  }

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  /// Counts nesting while alive; fails past settings.max_depth.
  class DepthGuard {
   public:
    explicit DepthGuard(Evaluator& evaluator) : evaluator_(evaluator) {
      if (++evaluator_.depth_ > evaluator_.settings_.max_depth) {
        --evaluator_.depth_;  // the destructor does not run when the constructor throws
        throw TemplateError(TemplateError::Kind::kLimit,
                            "the template nests expressions, blocks and macro calls deeper than " +
                                std::to_string(evaluator_.settings_.max_depth) + " levels");
      }
      if (++evaluator_.steps_ > evaluator_.settings_.max_steps) {
        --evaluator_.depth_;
        throw TemplateError(TemplateError::Kind::kLimit,
                            "the template took more than " +
                                std::to_string(evaluator_.settings_.max_steps) + " steps");
      }
    }
    ~DepthGuard() { --evaluator_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Evaluator& evaluator_;
  };

  static Value make_function(std::string name, std::function<Value(CallArgs&)> fn) {
    auto callable = std::make_shared<Callable>();
    callable->name = std::move(name);
    callable->call = std::move(fn);
    return Value::callable(std::move(callable));
  }

  void append_output(std::string& out, const Value& value) const {
    if (value.is_string()) {
      out += value.str();
    } else {
      append_str(out, value);
    }
    check_output(out);
  }

  void check_output(const std::string& out) const {
    if (out.size() > settings_.max_output_bytes) {
      throw TemplateError(TemplateError::Kind::kLimit,
                          "the output exceeds the limit of " +
                              std::to_string(settings_.max_output_bytes) + " bytes");
    }
  }

  // --- statements ---------------------------------------------------------------------------

  Flow exec_body(const Body& body, std::string& out, const ScopePtr& scope) {
    for (const StmtPtr& stmt : body) {
      const Flow flow = exec(*stmt, out, scope);
      if (flow != Flow::kNormal) {
        return flow;
      }
    }
    return Flow::kNormal;
  }

  Flow exec(const Stmt& stmt, std::string& out, const ScopePtr& scope) {
    try {
      DepthGuard guard(*this);
      switch (stmt.kind) {
        case Stmt::Kind::kText:
          out += as<TextStmt>(stmt).text;
          check_output(out);
          return Flow::kNormal;
        case Stmt::Kind::kOutput:
          append_output(out, eval(*as<OutputStmt>(stmt).value, *scope));
          return Flow::kNormal;
        case Stmt::Kind::kIf:
          return exec_if(as<IfStmt>(stmt), out, scope);
        case Stmt::Kind::kFor:
          exec_for(as<ForStmt>(stmt), out, scope);
          return Flow::kNormal;
        case Stmt::Kind::kSet:
          exec_set(as<SetStmt>(stmt), scope);
          return Flow::kNormal;
        case Stmt::Kind::kMacro:
          define_macro(as<MacroStmt>(stmt), scope);
          return Flow::kNormal;
        case Stmt::Kind::kBreak:
          return Flow::kBreak;
        case Stmt::Kind::kContinue:
          return Flow::kContinue;
        case Stmt::Kind::kGeneration:
          exec_body(as<GenerationStmt>(stmt).body, out, std::make_shared<Scope>(scope));
          return Flow::kNormal;
        case Stmt::Kind::kFilter: {
          const auto& block = as<FilterBlockStmt>(stmt);
          std::string text;
          exec_body(block.body, text, std::make_shared<Scope>(scope));
          append_output(out, apply_filters(block.filters, Value::string(std::move(text)), *scope));
          return Flow::kNormal;
        }
      }
    } catch (TemplateError& e) {
      e.locate(stmt.offset);
      throw;
    }
    return Flow::kNormal;
  }

  Flow exec_if(const IfStmt& node, std::string& out, const ScopePtr& scope) {
    for (const auto& [condition, body] : node.branches) {
      if (truthy(eval(*condition, *scope))) {
        return exec_body(body, out, scope);
      }
    }
    return exec_body(node.else_body, out, scope);
  }

  static void bind_targets(Scope& scope, const std::vector<std::string>& names,
                           const Value& value) {
    if (names.size() == 1) {
      scope.vars[names.front()] = value;
      return;
    }
    const std::vector<Value> parts = iterate(value);
    if (parts.size() < names.size()) {
      render_error("not enough values to unpack (expected " + std::to_string(names.size()) +
                   ", got " + std::to_string(parts.size()) + ")");
    }
    if (parts.size() > names.size()) {
      render_error("too many values to unpack (expected " + std::to_string(names.size()) + ")");
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      scope.vars[names[i]] = parts[i];
    }
  }

  void exec_for(const ForStmt& node, std::string& out, const ScopePtr& scope) {
    std::vector<Value> items = iterate(eval(*node.iterable, *scope));
    if (node.filter) {
      std::vector<Value> kept;
      for (Value& item : items) {
        Scope probe(scope);
        bind_targets(probe, node.targets, item);
        if (truthy(eval(*node.filter, probe))) {
          kept.push_back(std::move(item));
        }
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      exec_body(node.else_body, out, scope);
      return;
    }
    const auto shared_items = std::make_shared<const std::vector<Value>>(std::move(items));
    for (std::size_t i = 0; i < shared_items->size(); ++i) {
      auto inner = std::make_shared<Scope>(scope);
      auto loop = std::make_shared<Object>(Object::Kind::kLoop);
      loop->items = shared_items;
      loop->index0 = i;
      inner->vars["loop"] = Value::object(std::move(loop));
      bind_targets(*inner, node.targets, (*shared_items)[i]);
      if (exec_body(node.body, out, inner) == Flow::kBreak) {
        break;
      }
    }
  }

  void exec_set(const SetStmt& node, const ScopePtr& scope) {
    Value value;
    if (node.value) {
      value = eval(*node.value, *scope);
    } else {
      std::string text;
      exec_body(node.body, text, std::make_shared<Scope>(scope));
      value = apply_filters(node.filters, Value::string(std::move(text)), *scope);
    }
    if (!node.attribute.empty()) {
      const Value* target = scope->find(node.names.front());
      if (target == nullptr || !target->is_object() ||
          target->as_object().kind != Object::Kind::kNamespace) {
        render_error("cannot assign attribute '" + node.attribute + "' on '" + node.names.front() +
                     "': it is not a namespace() object");
      }
      target->as_object().set(node.attribute, std::move(value));
      return;
    }
    bind_targets(*scope, node.names, value);
  }

  void define_macro(const MacroStmt& node, const ScopePtr& scope) {
    auto callable = std::make_shared<Callable>();
    callable->name = "macro '" + node.name + "'";
    // The macro holds its defining scope weakly: a scope holding the macro must not keep itself
    // alive. The scope lives as long as the render that may call the macro.
    std::weak_ptr<Scope> weak_scope = scope;
    callable->call = [this, &node, weak_scope](CallArgs& args) {
      return call_macro(node, weak_scope.lock(), args);
    };
    scope->vars[node.name] = Value::callable(std::move(callable));
  }

  Value call_macro(const MacroStmt& node, const ScopePtr& defined_in, CallArgs& args) {
    if (!defined_in) {
      render_error("macro '" + node.name + "' is called after its scope ended");
    }
    DepthGuard guard(*this);
    if (args.positional.size() > node.params.size()) {
      render_error("macro '" + node.name + "' takes not more than " +
                   std::to_string(node.params.size()) + " argument(s)");
    }
    auto scope = std::make_shared<Scope>(defined_in);
    std::vector<bool> given(node.params.size(), false);
    for (std::size_t i = 0; i < args.positional.size(); ++i) {
      scope->vars[node.params[i].first] = std::move(args.positional[i]);
      given[i] = true;
    }
    for (auto& [name, value] : args.keyword) {
      std::size_t index = node.params.size();
      for (std::size_t i = 0; i < node.params.size(); ++i) {
        if (node.params[i].first == name) {
          index = i;
        }
      }
      if (index == node.params.size()) {
        render_error("macro '" + node.name + "' takes no keyword argument '" + name + "'");
      }
      if (given[index]) {
        render_error("macro '" + node.name + "' got multiple values for argument '" + name + "'");
      }
      scope->vars[name] = std::move(value);
      given[index] = true;
    }
    for (std::size_t i = 0; i < node.params.size(); ++i) {
      if (given[i]) {
        continue;
      }
      const auto& [name, default_value] = node.params[i];
      scope->vars[name] = default_value
                              ? eval(*default_value, *scope)
                              : Value::undefined("parameter '" + name + "' was not provided");
    }
    std::string out;
    exec_body(node.body, out, scope);
    return Value::string(std::move(out));
  }

  Value apply_filters(const std::vector<std::unique_ptr<FilterExpr>>& filters, Value value,
                      Scope& scope) {
    for (const auto& filter : filters) {
      try {
        CallArgs args = eval_args(filter->args, scope);
        value = apply_filter(filter->name, value, args, settings_.limits);
      } catch (TemplateError& e) {
        e.locate(filter->offset);
        throw;
      }
    }
    return value;
  }

  // --- expressions --------------------------------------------------------------------------

  Value eval(const Expr& expr, Scope& scope) {
    try {
      DepthGuard guard(*this);
      switch (expr.kind) {
        case Expr::Kind::kLiteral:
          return Value(as<LiteralExpr>(expr).value);
        case Expr::Kind::kName:
          return lookup(as<NameExpr>(expr).name, scope);
        case Expr::Kind::kList:
          return eval_list(as<ListExpr>(expr), scope);
        case Expr::Kind::kDict:
          return eval_dict(as<DictExpr>(expr), scope);
        case Expr::Kind::kGetAttr: {
          const auto& node = as<GetAttrExpr>(expr);
          return get_attribute(eval(*node.object, scope), node.name, settings_.limits);
        }
        case Expr::Kind::kGetItem: {
          const auto& node = as<GetItemExpr>(expr);
          const Value object = eval(*node.object, scope);
          return get_item(object, eval(*node.index, scope), settings_.limits);
        }
        case Expr::Kind::kSlice:
          return eval_slice(as<SliceExpr>(expr), scope);
        case Expr::Kind::kCall:
          return eval_call(as<CallExpr>(expr), scope);
        case Expr::Kind::kFilter:
          return eval_filter(as<FilterExpr>(expr), scope);
        case Expr::Kind::kTest:
          return eval_test(as<TestExpr>(expr), scope);
        case Expr::Kind::kUnary:
          return eval_unary(as<UnaryExpr>(expr), scope);
        case Expr::Kind::kBinary:
          return eval_binary(as<BinaryExpr>(expr), scope);
        case Expr::Kind::kCompare:
          return Value::boolean(eval_compare(as<CompareExpr>(expr), scope));
        case Expr::Kind::kCondition:
          return eval_condition(as<ConditionExpr>(expr), scope);
      }
    } catch (TemplateError& e) {
      e.locate(expr.offset);
      throw;
    }
    render_error("unknown expression");
  }

  static Value lookup(const std::string& name, const Scope& scope) {
    if (const Value* value = scope.find(name)) {
      return *value;
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  Value eval_list(const ListExpr& node, Scope& scope) {
    check_list_size(node.items.size(), settings_.limits);
    Json list = Json::array();
    for (const ExprPtr& item : node.items) {
      list.push_back(to_json(eval(*item, scope)));
    }
    return Value(std::move(list));
  }

  Value eval_dict(const DictExpr& node, Scope& scope) {
    Json dict = Json::object();
    for (const auto& [key_expr, value_expr] : node.items) {
      const Value key = eval(*key_expr, scope);
      const std::string& name = require_string(key, "a dict key");
      dict[name] = to_json(eval(*value_expr, scope));
    }
    return Value(std::move(dict));
  }

  Value eval_slice(const SliceExpr& node, Scope& scope) {
    const Value object = eval(*node.object, scope);
    const Value start = node.start ? eval(*node.start, scope) : Value();
    const Value stop = node.stop ? eval(*node.stop, scope) : Value();
    const Value step = node.step ? eval(*node.step, scope) : Value();
    return slice(object, start, stop, step);
  }

  CallArgs eval_args(const std::vector<Argument>& arguments, Scope& scope) {
    CallArgs args;
    for (const Argument& argument : arguments) {
      Value value = eval(*argument.value, scope);
      if (argument.name.empty()) {
        args.positional.push_back(std::move(value));
      } else {
        args.keyword.emplace_back(argument.name, std::move(value));
      }
    }
    return args;
  }

  Value eval_call(const CallExpr& node, Scope& scope) {
    const Value callee = eval(*node.callee, scope);
    CallArgs args = eval_args(node.args, scope);
    if (callee.is_undefined()) {
      undefined_error(callee);
    }
    if (!callee.is_callable()) {
      render_error("'" + type_name(callee) + "' object is not callable");
    }
    Value result = callee.as_callable().call(args);
    if (result.is_string()) {
      check_string_size(result.str().size(), settings_.limits);
    }
    return result;
  }

  Value eval_filter(const FilterExpr& node, Scope& scope) {
    const Value value = eval(*node.value, scope);
    CallArgs args = eval_args(node.args, scope);
    return apply_filter(node.name, value, args, settings_.limits);
  }

  Value eval_test(const TestExpr& node, Scope& scope) {
    const Value value = eval(*node.value, scope);
    CallArgs args = eval_args(node.args, scope);
    return Value::boolean(apply_test(node.name, value, args) != node.negated);
  }

  Value eval_unary(const UnaryExpr& node, Scope& scope) {
    const Value operand = eval(*node.operand, scope);
    if (node.op == UnaryExpr::Op::kNot) {
      return Value::boolean(!truthy(operand));
    }
    return unary_arithmetic(node.op, operand);
  }

  Value eval_binary(const BinaryExpr& node, Scope& scope) {
    Value left = eval(*node.left, scope);
    switch (node.op) {
      case BinaryExpr::Op::kAnd:
        return truthy(left) ? eval(*node.right, scope) : left;
      case BinaryExpr::Op::kOr:
        return truthy(left) ? left : eval(*node.right, scope);
      case BinaryExpr::Op::kConcat:
        return concat(left, eval(*node.right, scope), settings_.limits);
      default:
        return binary_arithmetic(node.op, left, eval(*node.right, scope), settings_.limits);
    }
  }

  bool eval_compare(const CompareExpr& node, Scope& scope) {
    Value left = eval(*node.first, scope);
    for (const auto& [op, right_expr] : node.rest) {
      Value right = eval(*right_expr, scope);
      bool holds = false;
      switch (op) {
        case CompareExpr::Op::kEq:
          holds = values_equal(left, right);
          break;
        case CompareExpr::Op::kNe:
          holds = !values_equal(left, right);
          break;
        case CompareExpr::Op::kLt:
          holds = compare_values(left, right, "<") < 0;
          break;
        case CompareExpr::Op::kLe:
          holds = compare_values(left, right, "<=") <= 0;
          break;
        case CompareExpr::Op::kGt:
          holds = compare_values(left, right, ">") > 0;
          break;
        case CompareExpr::Op::kGe:
          holds = compare_values(left, right, ">=") >= 0;
          break;
        case CompareExpr::Op::kIn:
          holds = contains(right, left);
          break;
        case CompareExpr::Op::kNotIn:
          holds = !contains(right, left);
          break;
      }
      if (!holds) {
        return false;
      }
      left = std::move(right);
    }
    return true;
  }

  Value eval_condition(const ConditionExpr& node, Scope& scope) {
    if (truthy(eval(*node.condition, scope))) {
      return eval(*node.then_value, scope);
    }
    if (node.else_value) {
      return eval(*node.else_value, scope);
    }
    return Value::undefined(
        "the inline if-expression evaluated to false and no else section was defined");
  }

  const Template& template_;
  const RenderSettings& settings_;
  int depth_ = 0;
  std::uint64_t steps_ = 0;
  std::vector<std::shared_ptr<Object>> namespaces_;
};

}  // namespace

std::string render_template(const Template& tmpl, const Json& context,
                            const RenderSettings& settings) {
  return Evaluator(tmpl, settings).render(context);
}

}  // namespace disaggd::engine::jinja
