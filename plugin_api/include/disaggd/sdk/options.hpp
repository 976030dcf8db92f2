/// @file disaggd/sdk/options.hpp
/// C++ plugin SDK: typed access to the `key: value` options the host passes to `create_fn`, with
/// range checks and a clear error for unknown keys.
#ifndef DISAGGD_SDK_OPTIONS_HPP
#define DISAGGD_SDK_OPTIONS_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "disaggd/plugin.h"
#include "disaggd/sdk/closest_match.hpp"
#include "disaggd/sdk/error.hpp"

namespace disaggd::sdk {

/// Reads a plugin's options. Every getter records the key as known; `reject_unknown()` then fails
/// with the list of known keys if the user gave any other. Getters throw `Error` with
/// DISAGGD_STATUS_INVALID_ARGUMENT on a wrong type or an out-of-range value.
/// Not thread-safe; meant for use inside `create_fn` (the option array is borrowed for that call).
class Options {
 public:
  /// Wraps `count` options at `options` (borrowed; may be null when count is 0).
  Options(const disaggd_option* options, std::size_t count) : options_(options), count_(count) {}

  /// True if the user set `key`.
  bool has(std::string_view key) {
    known_.insert(std::string(key));
    return find(key) != nullptr;
  }

  /// Integer option in [min, max]; `fallback` when absent.
  std::int64_t get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) {
    known_.insert(std::string(key));
    const disaggd_option* option = find(key);
    if (option == nullptr) {
      return fallback;
    }
    if (option->type != DISAGGD_OPTION_INT) {
      fail(key, *option, "an integer");
    }
    if (option->int_value < min || option->int_value > max) {
      fail(key, *option, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return option->int_value;
  }

  /// Number option in [min, max] (integers are accepted); `fallback` when absent.
  double get_float(std::string_view key, double fallback, double min, double max) {
    known_.insert(std::string(key));
    const disaggd_option* option = find(key);
    if (option == nullptr) {
      return fallback;
    }
    if (option->type != DISAGGD_OPTION_FLOAT && option->type != DISAGGD_OPTION_INT) {
      fail(key, *option, "a number");
    }
    if (!(option->float_value >= min && option->float_value <= max)) {
      fail(key, *option, "a number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return option->float_value;
  }

  /// Boolean option; `fallback` when absent.
  bool get_bool(std::string_view key, bool fallback) {
    known_.insert(std::string(key));
    const disaggd_option* option = find(key);
    if (option == nullptr) {
      return fallback;
    }
    if (option->type != DISAGGD_OPTION_BOOL) {
      fail(key, *option, "true or false");
    }
    return option->bool_value != 0;
  }

  /// String option; `fallback` when absent.
  std::string get_string(std::string_view key, std::string_view fallback) {
    known_.insert(std::string(key));
    const disaggd_option* option = find(key);
    if (option == nullptr) {
      return std::string(fallback);
    }
    if (option->type != DISAGGD_OPTION_STRING) {
      fail(key, *option, "a string");
    }
    return std::string(view(option->string_value));
  }

  /// Throws if the user gave a key no getter asked for, naming the closest known key.
  void reject_unknown() const {
    for (std::size_t i = 0; i < count_; ++i) {
      const std::string key(view(options_[i].key));
      if (known_.count(key) != 0) {
        continue;
      }
      const std::vector<std::string> known(known_.begin(), known_.end());
      std::string message = "unknown option '" + key + "'";
      const std::string suggestion = closest_match(key, known);
      if (!suggestion.empty()) {
        message += " (did you mean '" + suggestion + "'?)";
      }
      message += known.empty() ? "; this plugin takes no options" : "; known options:";
      for (const std::string& name : known) {
        message += " " + name;
      }
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, message);
    }
  }

 private:
  static std::string_view view(disaggd_string_view v) {
    return v.size == 0 ? std::string_view() : std::string_view(v.data, v.size);
  }

  const disaggd_option* find(std::string_view key) const {
    for (std::size_t i = 0; i < count_; ++i) {
      if (view(options_[i].key) == key) {
        return &options_[i];
      }
    }
    return nullptr;
  }

  [[noreturn]] static void fail(std::string_view key, const disaggd_option& option,
                                const std::string& expected) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "option '" + std::string(key) + "' must be " +
                                                     expected + ", got '" +
                                                     std::string(view(option.text)) + "'");
  }

  const disaggd_option* options_;
  std::size_t count_;
  std::set<std::string> known_;
};

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_OPTIONS_HPP
