// Scanning plugin directories.
#include "core/plugins/plugin_catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "disaggd/sdk/closest_match.hpp"

namespace disaggd::core {
namespace {

std::string join_paths(const std::vector<std::filesystem::path>& paths) {
  std::string text;
  for (const auto& path : paths) {
    text += (text.empty() ? "" : ", ") + path.string();
  }
  return text.empty() ? "(no plugin directories)" : text;
}

PluginFileStamp stamp_of(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    return {};
  }
  return PluginFileStamp{static_cast<uintmax_t>(info.st_size),
                         int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec,
                         static_cast<uint64_t>(info.st_ino)};
}

const PluginCandidate* find_file(const std::vector<PluginCandidate>& candidates,
                                 const std::filesystem::path& file) {
  const auto it = std::find_if(candidates.begin(), candidates.end(),
                               [&file](const PluginCandidate& c) { return c.file == file; });
  return it == candidates.end() ? nullptr : &*it;
}

std::filesystem::path canonical_or_same(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical;
}

}  // namespace

PluginCatalog PluginCatalog::scan(const std::vector<std::filesystem::path>& dirs) {
  PluginCatalog catalog;
  std::set<std::filesystem::path> seen_dirs;
  std::set<std::filesystem::path> seen_files;
  for (const auto& dir : dirs) {
    if (!seen_dirs.insert(canonical_or_same(dir)).second) {
      continue;
    }
    catalog.dirs_.push_back(dir);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      files.push_back(it->path());
    }
    if (ec) {
      catalog.warnings_.push_back("cannot read plugin directory " + dir.string() + ": " +
                                  ec.message());
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string file_name = file.filename().string();
      if (!file_name.starts_with("libdisaggd_")) {
        continue;
      }
      const auto parsed = parse_plugin_file_name(file_name);
      if (!parsed) {
        catalog.warnings_.push_back("ignoring " + file.string() +
                                    ": plugin files are named libdisaggd_<routing|migration|"
                                    "model>_<name>.so with a name of a-z, 0-9 and _");
        continue;
      }
      if (!seen_files.insert(canonical_or_same(file)).second) {
        continue;
      }
      catalog.candidates_.push_back(
          PluginCandidate{parsed->kind, parsed->name, file, stamp_of(file)});
    }
  }
  return catalog;
}

Result<PluginCandidate> PluginCatalog::find(PluginKind kind, std::string_view name) const {
  std::vector<const PluginCandidate*> matches;
  for (const auto& candidate : candidates_) {
    if (candidate.kind == kind && candidate.name == name) {
      matches.push_back(&candidate);
    }
  }
  const std::string label =
      std::string(plugin_kind_name(kind)) + " plugin '" + std::string(name) + "'";
  if (matches.size() > 1) {
    std::string files;
    for (const auto* match : matches) {
      files += (files.empty() ? "" : " and ") + match->file.string();
    }
    return Status(StatusCode::kAlreadyExists,
                  label + " is provided by more than one file: " + files +
                      "; remove one, or drop its directory from plugins.dirs or "
                      "DISAGGD_PLUGIN_PATH");
  }
  if (matches.empty()) {
    const std::vector<std::string> available = names(kind);
    std::string message =
        label + " not found: no " + plugin_file_name(kind, name) + " in " + join_paths(dirs_);
    const std::string suggestion = sdk::closest_match(name, available);
    if (!suggestion.empty()) {
      message += "; did you mean '" + suggestion + "'?";
    }
    std::string list;
    for (const auto& available_name : available) {
      list += (list.empty() ? "" : ", ") + available_name;
    }
    message += " (available " + std::string(plugin_kind_name(kind)) +
               " plugins: " + (list.empty() ? "none" : list) + ")";
    return Status(StatusCode::kNotFound, message);
  }
  return *matches.front();
}

std::vector<std::string> PluginCatalog::names(PluginKind kind) const {
  std::vector<std::string> result;
  for (const auto& candidate : candidates_) {
    if (candidate.kind == kind &&
        std::find(result.begin(), result.end(), candidate.name) == result.end()) {
      result.push_back(candidate.name);
    }
  }
  return result;
}

PluginCatalogChanges PluginCatalog::changes_to(const PluginCatalog& newer) const {
  PluginCatalogChanges changes;
  for (const PluginCandidate& candidate : newer.candidates_) {
    const PluginCandidate* before = find_file(candidates_, candidate.file);
    if (before == nullptr) {
      changes.added.push_back(candidate);
    } else if (!(before->stamp == candidate.stamp)) {
      changes.changed.push_back(candidate);
    }
  }
  for (const PluginCandidate& candidate : candidates_) {
    if (find_file(newer.candidates_, candidate.file) == nullptr) {
      changes.removed.push_back(candidate);
    }
  }
  return changes;
}

}  // namespace disaggd::core
