// Plugin kinds and the file-name convention.
#include "core/plugins/plugin_kind.h"

#include <array>
#include <utility>

namespace disaggd::core {
namespace {

constexpr std::string_view kPrefix = "libdisaggd_";
constexpr std::string_view kSuffix = ".so";

constexpr std::array<std::pair<PluginKind, std::string_view>, 3> kKindNames = {{
    {PluginKind::kRouting, "routing"},
    {PluginKind::kMigration, "migration"},
    {PluginKind::kModel, "model"},
}};

}  // namespace

std::string_view plugin_kind_name(PluginKind kind) {
  for (const auto& [value, name] : kKindNames) {
    if (value == kind) {
      return name;
    }
  }
  return "unknown";
}

std::optional<PluginKind> parse_plugin_kind(std::string_view name) {
  for (const auto& [value, kind_name] : kKindNames) {
    if (kind_name == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<PluginKind> plugin_kind_from_abi(uint32_t abi_kind) {
  switch (abi_kind) {
    case DISAGGD_PLUGIN_KIND_ROUTING:
      return PluginKind::kRouting;
    case DISAGGD_PLUGIN_KIND_MIGRATION:
      return PluginKind::kMigration;
    case DISAGGD_PLUGIN_KIND_MODEL:
      return PluginKind::kModel;
    default:
      return std::nullopt;
  }
}

bool is_valid_plugin_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::optional<PluginFileName> parse_plugin_file_name(std::string_view file_name) {
  if (!file_name.starts_with(kPrefix) || !file_name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  const std::string_view stem =
      file_name.substr(kPrefix.size(), file_name.size() - kPrefix.size() - kSuffix.size());
  const std::size_t separator = stem.find('_');
  if (separator == std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<PluginKind> kind = parse_plugin_kind(stem.substr(0, separator));
  const std::string_view name = stem.substr(separator + 1);
  if (!kind || !is_valid_plugin_name(name)) {
    return std::nullopt;
  }
  return PluginFileName{*kind, std::string(name)};
}

std::string plugin_file_name(PluginKind kind, std::string_view name) {
  std::string file(kPrefix);
  file += plugin_kind_name(kind);
  file += '_';
  file += name;
  file += kSuffix;
  return file;
}

}  // namespace disaggd::core
