// PluginHostServices: the disaggd_host_services one plugin instance receives (logging through the
// daemon's spdlog logger, tagged with the plugin's name).
#pragma once

#include <string>

#include "disaggd/plugin.h"

namespace disaggd::core {

/// Owns the services struct handed to a plugin instance. Must outlive the instance; not movable,
/// because the plugin keeps a pointer to it. Thread-safe.
class PluginHostServices {
 public:
  /// `tag` prefixes every log line, e.g. "routing/random".
  explicit PluginHostServices(std::string tag);
  PluginHostServices(const PluginHostServices&) = delete;
  PluginHostServices& operator=(const PluginHostServices&) = delete;

  const disaggd_host_services* get() const { return &services_; }

 private:
  static void log(void* host_ptr, uint32_t level, disaggd_string_view message);

  std::string tag_;
  disaggd_host_services services_;
};

}  // namespace disaggd::core
