// Logging set-up: one spdlog logger for the whole daemon, writing to stderr (journald under
// systemd), with a level from config or the command line.
#pragma once

#include "core/config/config.h"

namespace disaggd::core {

/// Makes the default spdlog logger write "<time> <level> [disaggd] <message>" to stderr at
/// `level`; when stderr is systemd's journal stream, "<N><level> <message>" instead (N: the
/// syslog priority). Safe to call again to change the level.
void init_logging(LogLevel level);

}  // namespace disaggd::core
