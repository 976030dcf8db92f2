/// @file disaggd/sdk/descriptor.hpp
/// C++ plugin SDK: builds the static descriptor a plugin's entry point returns.
#ifndef DISAGGD_SDK_DESCRIPTOR_HPP
#define DISAGGD_SDK_DESCRIPTOR_HPP

#include "disaggd/plugin.h"

namespace disaggd::sdk {

/// Returns a descriptor for `kind` in static storage. `Tag` makes one descriptor per plugin type;
/// `name`, `version` and `description` must be string literals (static storage), `vtable` a
/// static vtable. Built with this header's ABI version; the host checks it against its own.
template <class Tag>
const disaggd_plugin_descriptor* make_descriptor(disaggd_plugin_kind kind, const char* name,
                                                 const char* version, const char* description,
                                                 const void* vtable) noexcept {
  static const disaggd_plugin_descriptor descriptor = {
      sizeof(disaggd_plugin_descriptor),
      DISAGGD_PLUGIN_ABI_MAJOR,
      DISAGGD_PLUGIN_ABI_MINOR,
      static_cast<uint32_t>(kind),
      name,
      version,
      description,
      vtable,
  };
  return &descriptor;
}

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_DESCRIPTOR_HPP
