// Loading and validating one plugin library.
#include "core/plugins/plugin_library.h"

#include <cstddef>
#include <exception>
#include <system_error>
#include <utility>

#include <boost/dll/shared_library_load_mode.hpp>

namespace disaggd::core {
namespace {

std::string abi_text(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

const std::string& host_abi_text() {
  static const std::string text = abi_text(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR);
  return text;
}

Status file_error(const std::filesystem::path& file, StatusCode code, const std::string& reason) {
  return Status(code, "plugin " + file.string() + ": " + reason);
}

// The descriptor fields of ABI 1.0 end with `vtable`; a smaller struct_size cannot be read.
constexpr std::size_t kDescriptorSizeV1 =
    offsetof(disaggd_plugin_descriptor, vtable) + sizeof(const void*);

Status validate_descriptor(const std::filesystem::path& file, const disaggd_plugin_descriptor& d) {
  if (d.struct_size < kDescriptorSizeV1) {
    return file_error(file, StatusCode::kInvalidArgument,
                      "descriptor struct_size " + std::to_string(d.struct_size) +
                          " is smaller than the " + std::to_string(kDescriptorSizeV1) +
                          " bytes of ABI 1.0");
  }
  if (d.abi_major != DISAGGD_PLUGIN_ABI_MAJOR) {
    return file_error(file, StatusCode::kFailedPrecondition,
                      "built for plugin ABI " + abi_text(d.abi_major, d.abi_minor) +
                          ", but this disaggd speaks ABI " + host_abi_text() +
                          " (major versions must match); rebuild the plugin against SDK " +
                          host_abi_text());
  }
  if (d.abi_minor > DISAGGD_PLUGIN_ABI_MINOR) {
    return file_error(file, StatusCode::kFailedPrecondition,
                      "built for plugin ABI " + abi_text(d.abi_major, d.abi_minor) +
                          ", newer than this disaggd's ABI " + host_abi_text() +
                          "; upgrade disaggd or rebuild the plugin against SDK " + host_abi_text());
  }
  if (!plugin_kind_from_abi(d.kind)) {
    return file_error(file, StatusCode::kInvalidArgument,
                      "descriptor names unknown plugin kind " + std::to_string(d.kind));
  }
  if (d.name == nullptr || !is_valid_plugin_name(d.name)) {
    return file_error(file, StatusCode::kInvalidArgument,
                      "descriptor name must be non-empty and use only a-z, 0-9 and _");
  }
  if (d.version == nullptr || d.version[0] == '\0') {
    return file_error(file, StatusCode::kInvalidArgument, "descriptor has no version");
  }
  if (d.vtable == nullptr) {
    return file_error(file, StatusCode::kInvalidArgument, "descriptor has no vtable");
  }
  return Status();
}

}  // namespace

PluginLibrary::PluginLibrary(boost::dll::shared_library library, PluginInfo info,
                             const void* vtable)
    : library_(std::move(library)), info_(std::move(info)), vtable_(vtable) {}

std::string PluginLibrary::display_name() const {
  return std::string(plugin_kind_name(info_.kind)) + " plugin '" + info_.name + "' (" +
         info_.file.string() + ")";
}

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::open(const std::filesystem::path& file) {
  return open(file, file);
}

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::open(const std::filesystem::path& loaded,
                                                           const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(loaded, ec);
  if (ec || !std::filesystem::exists(status)) {
    return file_error(file, StatusCode::kNotFound, "file not found");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return file_error(file, StatusCode::kInvalidArgument, "not a regular file");
  }

  boost::dll::shared_library library;
  try {
    library.load(boost::dll::fs::path(loaded.string()),
                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return file_error(file, StatusCode::kInvalidArgument,
                      std::string("cannot be loaded as a shared object: ") + e.what());
  }
  if (!library.has(DISAGGD_PLUGIN_ENTRY_SYMBOL)) {
    return file_error(file, StatusCode::kInvalidArgument,
                      "entry symbol " DISAGGD_PLUGIN_ENTRY_SYMBOL
                      " not found; a plugin exports it with DISAGGD_PLUGIN_EXPORT or an SDK "
                      "macro such as DISAGGD_ROUTING_PLUGIN");
  }
  const auto entry = library.get<const disaggd_plugin_descriptor*(uint32_t, uint32_t)>(
      DISAGGD_PLUGIN_ENTRY_SYMBOL);

  const disaggd_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR);
  } catch (const std::exception& e) {
    return file_error(
        file, StatusCode::kInternal,
        DISAGGD_PLUGIN_ENTRY_SYMBOL " threw an exception across the ABI: " + std::string(e.what()));
  } catch (...) {
    return file_error(file, StatusCode::kInternal,
                      DISAGGD_PLUGIN_ENTRY_SYMBOL " threw an exception across the ABI");
  }
  if (descriptor == nullptr) {
    return file_error(file, StatusCode::kFailedPrecondition,
                      DISAGGD_PLUGIN_ENTRY_SYMBOL " returned NULL: the plugin refuses host ABI " +
                          host_abi_text());
  }
  DISAGGD_RETURN_IF_ERROR(validate_descriptor(file, *descriptor));

  PluginInfo info;
  info.kind = *plugin_kind_from_abi(descriptor->kind);
  info.name = descriptor->name;
  info.version = descriptor->version;
  info.description = descriptor->description != nullptr ? descriptor->description : "";
  info.abi_major = descriptor->abi_major;
  info.abi_minor = descriptor->abi_minor;
  info.file = file;
  return std::shared_ptr<PluginLibrary>(
      new PluginLibrary(std::move(library), std::move(info), descriptor->vtable));
}

}  // namespace disaggd::core
