// Writing the log the way journald reads it: a "<N>" syslog priority in front of each line, so
// `journalctl -p warning` filters by level, and no timestamp of our own (journald keeps one).
#pragma once

#include <spdlog/common.h>

namespace disaggd::core {

/// True when standard error is the journal stream systemd connected: $JOURNAL_STREAM names the
/// device and inode ("DEV:INO") of file descriptor 2. False when unset, malformed or another file
/// (for example after a shell redirected stderr).
bool stderr_is_journal_stream();

/// The syslog priority journald gives a line prefixed "<N>": 7 debug (and trace), 6 info,
/// 4 warning, 3 error, 2 critical.
int syslog_priority(spdlog::level::level_enum level);

}  // namespace disaggd::core
