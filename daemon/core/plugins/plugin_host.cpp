// Discovery plus lazy, cached loading of plugins.
#include "core/plugins/plugin_host.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/plugins/plugin_vtables.h"

namespace disaggd::core {

PluginHost::PluginHost(std::vector<std::filesystem::path> dirs)
    : dirs_(std::move(dirs)), catalog_(PluginCatalog::scan(dirs_)) {}

PluginCatalog PluginHost::catalog() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return catalog_;
}

PluginCatalogChanges PluginHost::rescan() {
  PluginCatalog newer = PluginCatalog::scan(dirs_);
  std::lock_guard<std::mutex> lock(mutex_);
  PluginCatalogChanges changes = catalog_.changes_to(newer);
  catalog_ = std::move(newer);
  return changes;
}

Result<std::shared_ptr<PluginLibrary>> PluginHost::load(PluginKind kind, std::string_view name) {
  Result<PluginCandidate> candidate = catalog().find(kind, name);
  if (!candidate.ok()) {
    return candidate.status();
  }
  return load_candidate(*candidate);
}

Result<std::shared_ptr<PluginLibrary>> PluginHost::load_candidate(
    const PluginCandidate& candidate) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = loaded_.find(candidate.file); it != loaded_.end()) {
    return it->second;
  }
  Result<std::shared_ptr<PluginLibrary>> library =
      check_loaded(candidate, PluginLibrary::open(candidate.file));
  if (library.ok()) {
    loaded_.emplace(candidate.file, *library);
  }
  return library;
}

Result<std::shared_ptr<PluginLibrary>> PluginHost::load_fresh(PluginKind kind,
                                                              std::string_view name) {
  Result<PluginCandidate> candidate = catalog().find(kind, name);
  if (!candidate.ok()) {
    return candidate.status();
  }
  uint64_t number = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    number = ++fresh_loads_;
  }
  std::error_code ec;
  const std::filesystem::path copy =
      std::filesystem::temp_directory_path(ec) /
      ("disaggd-" + std::to_string(::getpid()) + "-" + std::to_string(number) + "-" +
       candidate->file.filename().string());
  if (ec || !std::filesystem::copy_file(candidate->file, copy,
                                        std::filesystem::copy_options::overwrite_existing, ec)) {
    return Status(StatusCode::kUnavailable, "plugin " + candidate->file.string() +
                                                ": cannot make a private copy at " + copy.string() +
                                                ": " + ec.message());
  }
  Result<std::shared_ptr<PluginLibrary>> library =
      check_loaded(*candidate, PluginLibrary::open(copy, candidate->file));
  std::filesystem::remove(copy, ec);  // the mapping stays valid without the file
  return library;
}

Result<std::shared_ptr<PluginLibrary>> PluginHost::check_loaded(
    const PluginCandidate& candidate, Result<std::shared_ptr<PluginLibrary>> library) const {
  if (!library.ok()) {
    return library.status();
  }
  const PluginInfo& info = (*library)->info();
  const std::string file_says = std::string(plugin_kind_name(candidate.kind));
  if (info.kind != candidate.kind) {
    return Status(StatusCode::kInvalidArgument, "plugin " + candidate.file.string() +
                                                    ": declares kind '" +
                                                    std::string(plugin_kind_name(info.kind)) +
                                                    "' but its file name says '" + file_says + "'");
  }
  if (info.name != candidate.name) {
    return Status(StatusCode::kInvalidArgument,
                  "plugin " + candidate.file.string() + ": declares name '" + info.name +
                      "' but its file name says '" + candidate.name + "'");
  }
  DISAGGD_RETURN_IF_ERROR(validate_vtable(**library));
  return library;
}

std::vector<std::filesystem::path> plugin_search_dirs(
    const std::vector<std::filesystem::path>& configured, const char* env_path,
    const std::filesystem::path& executable) {
  std::vector<std::filesystem::path> dirs;
  auto add = [&dirs](std::filesystem::path dir) {
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(std::move(dir));
    }
  };
  if (env_path != nullptr) {
    const std::string_view text(env_path);
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t end = std::min(text.find(':', start), text.size());
      add(std::filesystem::path(text.substr(start, end - start)));
      start = end + 1;
    }
  }
  for (const auto& dir : configured) {
    add(dir);
  }
  if (!executable.empty()) {
    add((executable.parent_path() / ".." / DISAGGD_PLUGIN_INSTALL_DIR).lexically_normal());
  }
  return dirs;
}

}  // namespace disaggd::core
