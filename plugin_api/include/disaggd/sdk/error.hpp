/// @file disaggd/sdk/error.hpp
/// C++ plugin SDK: the exception a plugin throws to fail a call, and the guard that turns every
/// exception into a status + message at the ABI boundary, so none ever crosses it.
#ifndef DISAGGD_SDK_ERROR_HPP
#define DISAGGD_SDK_ERROR_HPP

#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "disaggd/plugin.h"

namespace disaggd::sdk {

/// Thrown by plugin code to fail the current call with a specific status. Any other exception
/// becomes DISAGGD_STATUS_INTERNAL (std::bad_alloc becomes DISAGGD_STATUS_OUT_OF_MEMORY).
class Error : public std::runtime_error {
 public:
  /// `status` must not be DISAGGD_STATUS_OK; `message` is what the host reports to the user.
  Error(disaggd_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}

  /// The status the boundary guard returns for this error.
  disaggd_status status() const noexcept { return status_; }

 private:
  disaggd_status status_;
};

/// Appends text to a host sink; does nothing when `sink` is null. Never throws.
inline void write_to_sink(disaggd_string_sink* sink, std::string_view text) noexcept {
  if (sink != nullptr && sink->host_append != nullptr && !text.empty()) {
    sink->host_append(sink->host_ptr, text.data(), text.size());
  }
}

/// Runs `body` (which returns a disaggd_status) and converts any exception it throws into a
/// status, writing the reason to `error`. Every hook the SDK hands to the host goes through it.
template <class Body>
disaggd_status guard_call(disaggd_string_sink* error, Body&& body) noexcept {
  try {
    return std::forward<Body>(body)();
  } catch (const Error& e) {
    write_to_sink(error, e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    write_to_sink(error, "out of memory");
    return DISAGGD_STATUS_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    write_to_sink(error, "unhandled exception: ");
    write_to_sink(error, e.what());
    return DISAGGD_STATUS_INTERNAL;
  } catch (...) {
    write_to_sink(error, "unhandled exception of unknown type");
    return DISAGGD_STATUS_INTERNAL;
  }
}

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_ERROR_HPP
