// Version and build facts, from definitions the build sets.
#include "core/build_info.h"

#include "disaggd/plugin.h"

namespace disaggd::core {

std::string daemon_version() {
  return DISAGGD_VERSION;
}

std::string version_text() {
  return "disaggd " + daemon_version() + " (plugin ABI " +
         std::to_string(DISAGGD_PLUGIN_ABI_MAJOR) + "." + std::to_string(DISAGGD_PLUGIN_ABI_MINOR) +
         ", build type " DISAGGD_BUILD_TYPE ")";
}

}  // namespace disaggd::core
