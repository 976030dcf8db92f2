// PluginCatalog: which plugin files exist in the plugin directories. Scanning only reads file
// names; nothing is loaded until a plugin is asked for by kind and name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugins/plugin_kind.h"
#include "core/status.h"

namespace disaggd::core {

/// What identifies one version of a file: a changed stamp means the file was replaced or
/// rewritten since it was scanned.
struct PluginFileStamp {
  uintmax_t size = 0;
  int64_t modified_ns = 0;  ///< Last write time, nanoseconds since the file clock's epoch.
  uint64_t inode = 0;

  bool operator==(const PluginFileStamp&) const = default;
};

/// A plugin file found by a scan, with the kind and name its file name announces.
struct PluginCandidate {
  PluginKind kind = PluginKind::kRouting;
  std::string name;
  std::filesystem::path file;
  PluginFileStamp stamp;  ///< As seen by the scan.
};

/// How two scans differ, by file.
struct PluginCatalogChanges {
  std::vector<PluginCandidate> added;    ///< Files the newer scan found and the older did not.
  std::vector<PluginCandidate> changed;  ///< Same file, different stamp (a new version).
  std::vector<PluginCandidate> removed;  ///< Files gone from the newer scan.
};

/// The result of scanning plugin directories. Immutable; cheap to copy.
class PluginCatalog {
 public:
  /// Scans `dirs` in order. Directories that do not exist are skipped; unreadable ones and files
  /// that look like plugins but break the naming rule are recorded as warnings. The same file
  /// reached twice (a directory listed twice, a symlink) counts once.
  static PluginCatalog scan(const std::vector<std::filesystem::path>& dirs);

  /// The plugin of `kind` named `name`: kNotFound (listing the directories searched, the
  /// plugins of that kind that exist and the closest name), or kAlreadyExists when two files
  /// provide it.
  Result<PluginCandidate> find(PluginKind kind, std::string_view name) const;

  const std::vector<PluginCandidate>& candidates() const { return candidates_; }
  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  /// Distinct names of the plugins of `kind`, in scan order.
  std::vector<std::string> names(PluginKind kind) const;
  /// What `newer` (a later scan of the same directories) added, changed and removed.
  PluginCatalogChanges changes_to(const PluginCatalog& newer) const;

 private:
  std::vector<std::filesystem::path> dirs_;
  std::vector<PluginCandidate> candidates_;
  std::vector<std::string> warnings_;
};

}  // namespace disaggd::core
