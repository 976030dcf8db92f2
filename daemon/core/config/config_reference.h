// Writes the configuration reference (docs/configuration.md) from the config schema.
#pragma once

#include <string>

namespace disaggd::core {

/// The whole reference as Markdown: every key with its type, default, command-line flags, the
/// roles that use it and its help, grouped by section. `disaggd config-reference` prints it.
std::string config_reference_markdown();

}  // namespace disaggd::core
