// Plugin options: typed key/value settings from config or admin requests, and their ABI form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "disaggd/plugin.h"

namespace disaggd::core {

/// One option for a plugin's create call (owning counterpart of disaggd_option).
struct PluginOption {
  std::string key;
  disaggd_option_type type = DISAGGD_OPTION_STRING;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0.0;
  std::string string_value;
  std::string text;  ///< The value as the user wrote it.

  /// Types an unquoted scalar the way YAML does: true/false, integer, number, else string.
  /// A quoted scalar is always a string.
  static PluginOption from_scalar(std::string key, std::string text, bool quoted);

  bool operator==(const PluginOption&) const = default;
};

using PluginOptions = std::vector<PluginOption>;

/// The ABI view of a PluginOptions: an array of disaggd_option pointing into `options`, which must
/// outlive this object and stay unchanged.
class AbiOptions {
 public:
  explicit AbiOptions(const PluginOptions& options);
  const disaggd_option* data() const { return options_.empty() ? nullptr : options_.data(); }
  size_t size() const { return options_.size(); }

 private:
  std::vector<disaggd_option> options_;
};

}  // namespace disaggd::core
