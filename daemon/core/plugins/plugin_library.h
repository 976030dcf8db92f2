// PluginLibrary: one loaded plugin .so, its validated descriptor, and the handle that keeps its
// code mapped for as long as anything created from it is alive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "core/plugins/plugin_kind.h"
#include "core/status.h"
#include "disaggd/plugin.h"

namespace disaggd::core {

/// What a plugin says about itself, copied out of its descriptor.
struct PluginInfo {
  PluginKind kind = PluginKind::kRouting;
  std::string name;
  std::string version;
  std::string description;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::filesystem::path file;
};

/// A loaded plugin library. Always held by shared_ptr: every wrapper and every object created by
/// the plugin keeps one, so the library is unloaded only after the last of them is gone.
/// Thread-safe once opened (it is immutable).
class PluginLibrary {
 public:
  /// Loads `file`, calls its entry point and validates the descriptor: ABI major equal to the
  /// host's, minor not newer, known kind, valid name, vtable present. Every failure is a Status
  /// naming the file and the reason; nothing here crashes or throws.
  static Result<std::shared_ptr<PluginLibrary>> open(const std::filesystem::path& file);
  /// Loads `file` (a private copy) but names `shown_as` (the file it was copied from) in
  /// PluginInfo::file and in every message.
  static Result<std::shared_ptr<PluginLibrary>> open(const std::filesystem::path& file,
                                                     const std::filesystem::path& shown_as);

  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const PluginInfo& info() const { return info_; }
  /// The kind-specific vtable (static storage of the library).
  const void* vtable() const { return vtable_; }
  /// "routing plugin 'random' (/path/libdisaggd_routing_random.so)", for messages.
  std::string display_name() const;

 private:
  PluginLibrary(boost::dll::shared_library library, PluginInfo info, const void* vtable);

  boost::dll::shared_library library_;
  PluginInfo info_;
  const void* vtable_;
};

}  // namespace disaggd::core
