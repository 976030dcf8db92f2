// Loads the plugins a config names, the same way for `--check` and for a real start, so that a
// config that passes the check also starts.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/plugins/plugin_host.h"
#include "core/plugins/routing_strategy.h"

namespace disaggd::app {

/// What a role needs from plugins. Members are null when the role does not use them or when
/// loading failed (see the problems list).
struct ConfiguredPlugins {
  std::unique_ptr<core::RoutingStrategy> routing;      ///< proxy: created with its options.
  std::shared_ptr<core::PluginLibrary> model_backend;  ///< prefill, decode, hybrid: loaded.
  std::shared_ptr<core::PluginLibrary> migration;      ///< prefill, decode: loaded.
};

/// The plugin directories for `config`: DISAGGD_PLUGIN_PATH, plugins.dirs, then the install
/// location next to this executable.
std::vector<std::filesystem::path> plugin_dirs_for(const core::Config& config);

/// Loads every plugin `config` names from `host` and creates the routing strategy with its
/// options (model and migration plugins are loaded and checked; their instances need a model
/// and memory, which the engine provides). Appends one message per problem to `problems`.
ConfiguredPlugins load_configured_plugins(const core::Config& config, core::PluginHost& host,
                                          std::vector<std::string>* problems);

}  // namespace disaggd::app
