// Detecting systemd's journal stream and mapping log levels to syslog priorities.
#include "core/logging/journal_stream.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace disaggd::core {

bool stderr_is_journal_stream() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) {
    return false;
  }
  unsigned long long device = 0;
  unsigned long long inode = 0;
  char trailing = 0;
  if (std::sscanf(stream, "%llu:%llu%c", &device, &inode, &trailing) != 2) {
    return false;
  }
  struct stat status {};
  if (::fstat(2, &status) != 0) {
    return false;
  }
  return static_cast<unsigned long long>(status.st_dev) == device &&
         static_cast<unsigned long long>(status.st_ino) == inode;
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

}  // namespace disaggd::core
