// Secret: a token read from the config file, an environment variable or a file, never printed.
#pragma once

#include <string>

namespace disaggd::core {

/// A secret value and where it came from. The value is never logged or shown; `origin` is
/// ("config file", "environment variable X", "file /run/credentials/...").
struct Secret {
  std::string value;
  std::string origin;

  bool empty() const { return value.empty(); }
};

/// Compares a secret with a candidate in time independent of where they differ.
bool secret_equals(const std::string& secret, const std::string& candidate);

}  // namespace disaggd::core
