// Readiness and shutdown notices to the service manager (systemd's Type=notify protocol).
#pragma once

#include <string_view>

#include "core/status.h"

namespace disaggd::core {

/// Sends `state` (newline-separated KEY=VALUE assignments such as "READY=1") to the socket named
/// by $NOTIFY_SOCKET, a path or an abstract name starting with '@'. Does nothing and returns OK
/// when the variable is unset, so the daemon runs the same outside systemd. Thread-safe.
Status notify_service_manager(std::string_view state);

}  // namespace disaggd::core
