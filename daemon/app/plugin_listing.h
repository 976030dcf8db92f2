// `disaggd plugins`: every plugin file in the plugin directories, loaded and described.
#pragma once

#include <ostream>

#include "core/plugins/plugin_host.h"

namespace disaggd::app {

/// Writes the searched directories, then one row per plugin file (kind, name, version, ABI
/// version, file) and, under a file that fails to load, the reason. Returns how many failed.
int print_plugin_listing(core::PluginHost& host, std::ostream& out);

}  // namespace disaggd::app
