// Plugin options and their ABI form.
#include "core/plugins/plugin_options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace disaggd::core {
namespace {

disaggd_string_view view_of(const std::string& text) {
  return disaggd_string_view{text.data(), text.size()};
}

// YAML 1.2 core schema integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+.
bool parse_int(const std::string& text, int64_t* out) {
  std::string_view digits = text;
  int base = 10;
  bool prefixed = true;
  if (digits.starts_with("0x")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0o")) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.starts_with('+')) {
    digits.remove_prefix(1);
  } else {
    prefixed = false;
  }
  // from_chars takes a '-' of its own, which must not follow a prefix ("+-5", "0x-5").
  if (digits.empty() || (prefixed && digits.front() == '-')) {
    return false;
  }
  const char* end = digits.data() + digits.size();
  int64_t value = 0;  // from_chars writes even when it stops early ("1.5"); keep *out clean.
  const std::from_chars_result result = std::from_chars(digits.data(), end, value, base);
  if (result.ec != std::errc() || result.ptr != end) {
    return false;
  }
  *out = value;
  return true;
}

// YAML 1.2 core schema floats, finite only. strtod alone would also take leading blanks, hex
// floats, "inf" and "nan", none of which YAML reads as a number.
bool parse_float(const std::string& text, double* out) {
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos) {
    return false;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) {
    return false;
  }
  *out = value;
  return true;
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
