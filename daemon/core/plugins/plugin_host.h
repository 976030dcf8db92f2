// PluginHost: finds plugins in the plugin directories and loads the ones asked for, once each.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/plugins/plugin_catalog.h"
#include "core/plugins/plugin_library.h"
#include "core/status.h"

namespace disaggd::core {

/// Discovery plus lazy, cached loading. Thread-safe.
class PluginHost {
 public:
  /// Scans `dirs` (in order; see plugin_search_dirs()) for plugin files. Loads nothing.
  explicit PluginHost(std::vector<std::filesystem::path> dirs);

  /// Finds the plugin of `kind` named `name`, loads it (or returns the library already loaded
  /// from that file) and checks that its descriptor agrees with its file name and that its
  /// vtable is complete. Every failure names the file and the reason.
  Result<std::shared_ptr<PluginLibrary>> load(PluginKind kind, std::string_view name);

  /// Loads one scanned file with the same checks as load(); used to list every plugin.
  Result<std::shared_ptr<PluginLibrary>> load_candidate(const PluginCandidate& candidate);

  const PluginCatalog& catalog() const { return catalog_; }

 private:
  PluginCatalog catalog_;
  std::mutex mutex_;
  std::map<std::filesystem::path, std::shared_ptr<PluginLibrary>> loaded_;
};

/// The plugin directories in search order, without duplicates: the entries of
/// DISAGGD_PLUGIN_PATH (`env_path`, colon-separated; may be null), then `configured`
/// (plugins.dirs), then the install location relative to the executable
/// (`<dir of executable>/../lib/disaggd/plugins`).
std::vector<std::filesystem::path> plugin_search_dirs(
    const std::vector<std::filesystem::path>& configured, const char* env_path,
    const std::filesystem::path& executable);

}  // namespace disaggd::core
