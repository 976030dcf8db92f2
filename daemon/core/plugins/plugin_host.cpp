// Discovery plus lazy, cached loading of plugins.
#include "core/plugins/plugin_host.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/plugins/plugin_vtables.h"

namespace disaggd::core {

PluginHost::PluginHost(std::vector<std::filesystem::path> dirs)
    : catalog_(PluginCatalog::scan(dirs)) {}

Result<std::shared_ptr<PluginLibrary>> PluginHost::load(PluginKind kind, std::string_view name) {
  Result<PluginCandidate> candidate = catalog_.find(kind, name);
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
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::open(candidate.file);
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
  loaded_.emplace(candidate.file, *library);
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
