/// @file disaggd/sdk/host.hpp
/// C++ plugin SDK: a small handle on the services the host offers an instance (logging).
#ifndef DISAGGD_SDK_HOST_HPP
#define DISAGGD_SDK_HOST_HPP

#include <string_view>

#include "disaggd/plugin.h"

namespace disaggd::sdk {

/// Copyable handle on `disaggd_host_services`. Valid as long as the instance it was given to;
/// thread-safe.
class Host {
 public:
  /// Wraps the host's services; `services` may be null (then logging does nothing).
  explicit Host(const disaggd_host_services* services) noexcept : services_(services) {}

  /// Logs one line through the daemon's logger. Never throws.
  void log(disaggd_log_level level, std::string_view message) const noexcept {
    if (services_ != nullptr && services_->host_log != nullptr) {
      services_->host_log(services_->host_ptr, static_cast<uint32_t>(level),
                          disaggd_string_view{message.data(), message.size()});
    }
  }

  void info(std::string_view message) const noexcept { log(DISAGGD_LOG_INFO, message); }
  void warn(std::string_view message) const noexcept { log(DISAGGD_LOG_WARN, message); }
  void debug(std::string_view message) const noexcept { log(DISAGGD_LOG_DEBUG, message); }

 private:
  const disaggd_host_services* services_;
};

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_HOST_HPP
