// ConfigIssue: one problem (or warning) found in a config file or on the command line.
#pragma once

#include <ostream>
#include <string>

namespace disaggd::core {

/// Where and what: enough for a user to find and fix the line.
struct ConfigIssue {
  std::string source;   ///< The config file's path, or "command line".
  int line = 0;         ///< 1-based; 0 when unknown.
  int column = 0;       ///< 1-based; 0 when unknown.
  std::string key;      ///< Dotted key ("server.port"), or empty for the whole file.
  std::string message;  ///< What was expected and what was found.

  /// "proxy.yaml:3:9: server.port: expected an integer from 1 to 65535, got 'abc'".
  std::string to_string() const;
};

/// Writes to_string(); lets test frameworks print issues readably.
inline std::ostream& operator<<(std::ostream& out, const ConfigIssue& issue) {
  return out << issue.to_string();
}

}  // namespace disaggd::core
