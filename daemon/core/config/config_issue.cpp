// Formatting config issues.
#include "core/config/config_issue.h"

namespace disaggd::core {

std::string ConfigIssue::to_string() const {
  std::string text = source;
  if (line > 0) {
    text += ":" + std::to_string(line);
    if (column > 0) {
      text += ":" + std::to_string(column);
    }
  }
  text += ": ";
  if (!key.empty()) {
    text += key + ": ";
  }
  return text + message;
}

}  // namespace disaggd::core
