// ConfigLoader: reads a YAML config file, applies command-line overrides, and validates the
// result against the schema, collecting every problem instead of stopping at the first.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/config_issue.h"

namespace disaggd::core {

/// A value given on the command line for one config key.
struct ConfigOverride {
  std::string path;  ///< Dotted key, e.g. "server.port".
  std::string flag;  ///< How the user spelled it, e.g. "--server-port", for messages.
  std::string text;  ///< The value as typed.
  /// True for `--set key=value`, whose value is parsed as YAML (so lists, maps and
  /// {env: NAME} work); false for a key's own flag, whose value is taken literally (lists split
  /// on commas, option maps as name=value).
  bool yaml = false;
};

/// The outcome of loading: the config (meaningful only when there are no errors), every error,
/// and warnings that do not stop the daemon.
struct LoadedConfig {
  Config config;
  std::filesystem::path file;
  std::vector<ConfigIssue> errors;
  std::vector<ConfigIssue> warnings;

  bool ok() const { return errors.empty(); }
};

/// Loads `file` (if non-empty; with an empty path only overrides are used) and `overrides`,
/// which win over the file. Relative paths in the file are resolved against the file's
/// directory, relative paths on the command line against the working directory.
LoadedConfig load_config(const std::filesystem::path& file,
                         const std::vector<ConfigOverride>& overrides);

}  // namespace disaggd::core
