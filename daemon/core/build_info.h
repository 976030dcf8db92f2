// Version and build facts of this disaggd binary.
#pragma once

#include <string>

namespace disaggd::core {

/// "0.1.0".
std::string daemon_version();
/// "disaggd 0.1.0 (plugin ABI 1.0, build type RelWithDebInfo)".
std::string version_text();

}  // namespace disaggd::core
