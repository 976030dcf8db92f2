// Prints a config back as YAML, for `disaggd --print-config`. Secrets are masked.
#pragma once

#include <string>

#include "core/config/config.h"

namespace disaggd::core {

/// Every key of `config` with its effective value, as a YAML document that loads back to the
/// same config (except secrets, which show only where they came from).
std::string config_to_yaml(const Config& config);

}  // namespace disaggd::core
