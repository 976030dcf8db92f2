// Binding call arguments to parameters.
#include "engine/chat/jinja_arguments.h"

#include "engine/chat/jinja_error.h"

namespace disaggd::engine::jinja {

BoundArgs::BoundArgs(std::string_view function, CallArgs& args,
                     std::initializer_list<std::string_view> params, std::size_t required)
    : values_(params.size()), given_(params.size(), false) {
  const std::vector<std::string_view> names(params);
  if (args.positional.size() > names.size()) {
    render_error(std::string(function) + "() takes at most " + std::to_string(names.size()) +
                 " argument(s) (" + std::to_string(args.positional.size()) + " given)");
  }
  for (std::size_t i = 0; i < args.positional.size(); ++i) {
    values_[i] = std::move(args.positional[i]);
    given_[i] = true;
  }
  for (auto& [name, value] : args.keyword) {
    std::size_t index = names.size();
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) {
        index = i;
        break;
      }
    }
    if (index == names.size()) {
      render_error(std::string(function) + "() got an unexpected keyword argument '" + name + "'");
    }
    if (given_[index]) {
      render_error(std::string(function) + "() got multiple values for argument '" + name + "'");
    }
    values_[index] = std::move(value);
    given_[index] = true;
  }
  for (std::size_t i = 0; i < required; ++i) {
    if (!given_[i]) {
      render_error(std::string(function) + "() missing required argument '" +
                   std::string(names[i]) + "'");
    }
  }
}

}  // namespace disaggd::engine::jinja
