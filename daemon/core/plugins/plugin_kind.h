// Plugin kinds and the file-name convention libdisaggd_<kind>_<name>.so.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "disaggd/plugin.h"

namespace disaggd::core {

/// What a plugin library provides; mirrors disaggd_plugin_kind.
enum class PluginKind { kRouting, kMigration, kModel };

/// "routing", "migration" or "model".
std::string_view plugin_kind_name(PluginKind kind);
/// Parses a kind name; nothing for an unknown one.
std::optional<PluginKind> parse_plugin_kind(std::string_view name);
/// Maps the ABI value; nothing for an unknown one.
std::optional<PluginKind> plugin_kind_from_abi(uint32_t abi_kind);

/// True for a valid plugin name: [a-z0-9_]+.
bool is_valid_plugin_name(std::string_view name);

/// Kind and name read from a plugin file name.
struct PluginFileName {
  PluginKind kind;
  std::string name;
};

/// Parses "libdisaggd_<kind>_<name>.so"; nothing if the file name does not follow the pattern.
std::optional<PluginFileName> parse_plugin_file_name(std::string_view file_name);

/// The file name a plugin of `kind` and `name` must have.
std::string plugin_file_name(PluginKind kind, std::string_view name);

}  // namespace disaggd::core
