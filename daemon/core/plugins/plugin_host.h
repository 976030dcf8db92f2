// PluginHost: finds plugins in the plugin directories and loads the ones asked for, once each.
#pragma once

#include <cstdint>
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

  /// For a hot swap: loads the current content of the plugin of `kind` named `name` from a
  /// private copy of its file, so that a file rewritten since it was first loaded yields the new
  /// code (loading the same path again would return the library already mapped). The copy is
  /// deleted once loaded; the library still names the original file. Same checks as load().
  /// Nothing is cached: every call maps a new library.
  Result<std::shared_ptr<PluginLibrary>> load_fresh(PluginKind kind, std::string_view name);

  /// Scans the plugin directories again, so files dropped in since start (or since the last
  /// rescan) can be loaded; returns how the new scan differs from the previous one.
  PluginCatalogChanges rescan();

  /// The current scan (a copy: rescan() may replace it at any time).
  PluginCatalog catalog() const;

 private:
  Result<std::shared_ptr<PluginLibrary>> check_loaded(
      const PluginCandidate& candidate, Result<std::shared_ptr<PluginLibrary>> library) const;

  std::vector<std::filesystem::path> dirs_;
  mutable std::mutex mutex_;
  PluginCatalog catalog_;
  std::map<std::filesystem::path, std::shared_ptr<PluginLibrary>> loaded_;
  uint64_t fresh_loads_ = 0;  ///< Numbers private copies, so no two share a path.
};

/// The plugin directories in search order, without duplicates: the entries of
/// DISAGGD_PLUGIN_PATH (`env_path`, colon-separated; may be null), then `configured`
/// (plugins.dirs), then the install location relative to the executable
/// (`<dir of executable>/../lib/disaggd/plugins`).
std::vector<std::filesystem::path> plugin_search_dirs(
    const std::vector<std::filesystem::path>& configured, const char* env_path,
    const std::filesystem::path& executable);

}  // namespace disaggd::core
