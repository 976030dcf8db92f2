// Finding and opening private modules.
#include "core/plugins/private_module.h"

#include <cstdlib>
#include <string_view>
#include <system_error>

namespace disaggd::core {

std::vector<std::filesystem::path> module_directories() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("DISAGGD_MODULE_DIR"); env != nullptr) {
    const std::string_view text(env);
    for (std::size_t start = 0; start <= text.size();) {
      const std::size_t end = std::min(text.find(':', start), text.size());
      if (end > start) {
        dirs.emplace_back(text.substr(start, end - start));
      }
      start = end + 1;
    }
  }
  std::error_code ec;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(
        (executable.parent_path() / ".." / DISAGGD_MODULE_INSTALL_DIR).lexically_normal());
  }
  return dirs;
}

Result<std::shared_ptr<PrivateModule>> PrivateModule::open(const std::string& file_name) {
  std::string searched;
  for (const std::filesystem::path& dir : module_directories()) {
    const std::filesystem::path file = dir / file_name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      searched += (searched.empty() ? "" : ", ") + dir.string();
      continue;
    }
    boost::dll::shared_library library;
    try {
      library.load(boost::dll::fs::path(file.string()),
                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
      return Status(StatusCode::kInvalidArgument,
                    file.string() + ": cannot be loaded: " + e.what());
    }
    return std::shared_ptr<PrivateModule>(new PrivateModule(std::move(library), file));
  }
  return Status(StatusCode::kNotFound,
                "module " + file_name + " not found (searched: " +
                    (searched.empty() ? std::string("no directory") : searched) +
                    "; DISAGGD_MODULE_DIR overrides)");
}

}  // namespace disaggd::core
