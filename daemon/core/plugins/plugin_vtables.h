// Checks that a loaded plugin's kind-specific vtable is complete for ABI 1.0, so a broken plugin
// is reported when it loads, not at its first request.
#pragma once

#include "core/plugins/plugin_library.h"
#include "core/status.h"

namespace disaggd::core {

/// OK when the vtable of `library` is large enough for its kind and has no NULL member.
Status validate_vtable(const PluginLibrary& library);

}  // namespace disaggd::core
