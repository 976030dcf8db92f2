// Conversions from YAML nodes to typed config values. Each returns an empty string on success, or
// a message saying what was expected and what was found.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/secret.h"
#include "core/plugins/plugin_options.h"

namespace disaggd::core {

/// Where a value came from, for resolving relative paths and naming secret origins.
struct ValueContext {
  std::filesystem::path base_dir;  ///< Relative paths are resolved against it.
  bool from_command_line = false;
};

/// "a map", "a list", "nothing" or the scalar in quotes, for messages.
std::string describe_node(const YAML::Node& node);

std::string read_string(const YAML::Node& node, std::string* out);
std::string read_integer(const YAML::Node& node, int64_t min, int64_t max, int64_t* out);
std::string read_bool(const YAML::Node& node, bool* out);
/// A plugin name: [a-z0-9_]+.
std::string read_plugin_name(const YAML::Node& node, std::string* out);
/// An http:// or https:// URL with a host, or the empty string (meaning "none").
std::string read_url(const YAML::Node& node, std::string* out);
/// A path that must exist (empty allowed: "not set"); relative to `context.base_dir`.
std::string read_existing_path(const YAML::Node& node, const ValueContext& context,
                               std::filesystem::path* out);
/// A list of existing directories (a single string is a list of one).
std::string read_directory_list(const YAML::Node& node, const ValueContext& context,
                                std::vector<std::filesystem::path>* out);
/// A map of scalar plugin options; nested maps are flattened to dotted keys.
std::string read_option_map(const YAML::Node& node, PluginOptions* out);
/// A secret: a string, `{env: NAME}` or `{file: PATH}`.
std::string read_secret(const YAML::Node& node, const ValueContext& context, Secret* out);

}  // namespace disaggd::core
