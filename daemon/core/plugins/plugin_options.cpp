// Plugin options and their ABI form.
#include "core/plugins/plugin_options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace disaggd::core {
namespace {

disaggd_string_view view_of(const std::string& text) {
  return disaggd_string_view{text.data(), text.size()};
}

bool parse_int(const std::string& text, int64_t* out) {
  const char* end = text.data() + text.size();
  const std::from_chars_result result = std::from_chars(text.data(), end, *out);
  return result.ec == std::errc() && result.ptr == end;
}

bool parse_float(const std::string& text, double* out) {
  if (text.empty()) {
    return false;
  }
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

}  // namespace

PluginOption PluginOption::from_scalar(std::string key, std::string text, bool quoted) {
  PluginOption option;
  option.key = std::move(key);
  option.text = std::move(text);
  const std::string& t = option.text;
  if (!quoted &&
      (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE")) {
    option.type = DISAGGD_OPTION_BOOL;
    option.bool_value = t[0] == 't' || t[0] == 'T';
  } else if (!quoted && parse_int(t, &option.int_value)) {
    option.type = DISAGGD_OPTION_INT;
    option.float_value = static_cast<double>(option.int_value);
  } else if (!quoted && parse_float(t, &option.float_value)) {
    option.type = DISAGGD_OPTION_FLOAT;
  } else {
    option.type = DISAGGD_OPTION_STRING;
    option.string_value = t;
  }
  return option;
}

AbiOptions::AbiOptions(const PluginOptions& options) {
  options_.reserve(options.size());
  for (const PluginOption& option : options) {
    disaggd_option abi{};
    abi.key = view_of(option.key);
    abi.type = static_cast<uint32_t>(option.type);
    abi.bool_value = option.bool_value ? 1u : 0u;
    abi.int_value = option.int_value;
    abi.float_value = option.float_value;
    abi.string_value = view_of(option.string_value);
    abi.text = view_of(option.text);
    options_.push_back(abi);
  }
}

}  // namespace disaggd::core
