// PrivateModule: one of disaggd's own shared objects (not a plugin), opened with RTLD_LOCAL so
// that the libraries it links stay out of the process's global symbol scope.
//
// Why: Debian's libsentencepiece exports the symbols of the protobuf-lite 3.14 it embeds. Linked
// into the daemon, they sit in the global scope, and libtorch's libprotobuf 3.21, loaded later by
// the torch plugin, binds its own calls to them and crashes during its initialisation. Opened
// as a private module, each library binds to its own copy.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "core/status.h"

namespace disaggd::core {

/// Thread-safe once opened (symbol lookups only). The shared object stays mapped while any
/// shared_ptr to it lives: objects created by its code must hold one.
class PrivateModule {
 public:
  /// Opens `file_name` (e.g. "libdisaggd_sentencepiece.so") from the first of
  /// module_directories() that has it. The error names every directory searched.
  static Result<std::shared_ptr<PrivateModule>> open(const std::string& file_name);

  /// The exported function `name` as `F*` (F a function type); nullptr when it is missing
  /// (missing_symbol_error() says so).
  template <class F>
  F* function(const std::string& name) const {
    return library_.has(name) ? &library_.get<F>(name) : nullptr;
  }

  /// The error for a function that function() did not find.
  Status missing_symbol_error(const std::string& name) const {
    return Status(StatusCode::kInvalidArgument,
                  path_.string() + ": does not export " + name + " (a stale build?)");
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  PrivateModule(boost::dll::shared_library library, std::filesystem::path path)
      : library_(std::move(library)), path_(std::move(path)) {}

  boost::dll::shared_library library_;
  std::filesystem::path path_;
};

/// Where private modules are looked for: $DISAGGD_MODULE_DIR (colon-separated), then
/// <directory of the executable>/../lib/disaggd/modules (the build tree mirrors the install).
std::vector<std::filesystem::path> module_directories();

}  // namespace disaggd::core
