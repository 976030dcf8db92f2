// Host services offered to plugin instances.
#include "core/plugins/plugin_host_services.h"

#include <string_view>

#include <spdlog/spdlog.h>

namespace disaggd::core {
namespace {

spdlog::level::level_enum to_spdlog_level(uint32_t level) {
  switch (level) {
    case DISAGGD_LOG_TRACE:
      return spdlog::level::trace;
    case DISAGGD_LOG_DEBUG:
      return spdlog::level::debug;
    case DISAGGD_LOG_INFO:
      return spdlog::level::info;
    case DISAGGD_LOG_WARN:
      return spdlog::level::warn;
    default:
      return spdlog::level::err;
  }
}

}  // namespace

PluginHostServices::PluginHostServices(std::string tag)
    : tag_(std::move(tag)),
      services_{sizeof(disaggd_host_services), this, &PluginHostServices::log} {}

void PluginHostServices::log(void* host_ptr, uint32_t level, disaggd_string_view message) {
  const auto* self = static_cast<const PluginHostServices*>(host_ptr);
  const spdlog::level::level_enum spd_level = to_spdlog_level(level);
  if (!spdlog::should_log(spd_level)) {
    return;
  }
  const std::string_view text =
      message.size == 0 ? std::string_view() : std::string_view(message.data, message.size);
  spdlog::log(spd_level, "[{}] {}", self->tag_, text);
}

}  // namespace disaggd::core
