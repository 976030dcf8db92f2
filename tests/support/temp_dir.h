// TempDir: a fresh directory for one test, removed with everything in it when the test ends.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace disaggd::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() / ("disaggd-test-" + std::to_string(::getpid()) +
                                                      "-" + std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Writes `content` to `name` inside the directory (creating parents) and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

  /// A subdirectory (created).
  std::filesystem::path subdir(const std::string& name) const {
    std::filesystem::create_directories(path_ / name);
    return path_ / name;
  }

  /// Copies `from` to `<dir>/<name>` (dir relative to this directory, "" for itself).
  std::filesystem::path copy_in(const std::filesystem::path& from, const std::string& name,
                                const std::string& dir = "") const {
    const std::filesystem::path to = subdir(dir) / name;
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
    return to;
  }

  /// Writes a small text file `<dir>/<name>` that is not a plugin.
  std::filesystem::path touch(const std::string& name, const std::string& dir = "") const {
    return write((dir.empty() ? "" : dir + "/") + name, "not a plugin\n");
  }

 private:
  std::filesystem::path path_;
};

}  // namespace disaggd::testing
