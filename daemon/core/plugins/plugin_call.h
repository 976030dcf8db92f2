// Calls into plugin code: collects the message a plugin writes, maps ABI statuses to Status, and
// contains the exceptions a plugin built without the SDK might throw across the ABI.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "disaggd/plugin.h"

namespace disaggd::core {

/// A host-owned disaggd_string_sink that appends into a std::string.
class StringSink {
 public:
  StringSink();
  StringSink(const StringSink&) = delete;
  StringSink& operator=(const StringSink&) = delete;

  /// The sink to pass to the plugin; valid while this object lives.
  disaggd_string_sink* get() { return &sink_; }
  /// What the plugin wrote.
  const std::string& text() const { return text_; }

 private:
  static void append(void* host_ptr, const char* data, size_t size);

  std::string text_;
  disaggd_string_sink sink_;
};

/// Maps an ABI status (OK included) to a StatusCode.
StatusCode status_code_from_abi(disaggd_status status);

/// Runs `call(disaggd_string_sink*)`, which returns the plugin's disaggd_status, and turns the
/// result into a Status whose message starts with `what` (e.g. "routing plugin 'random'
/// (/path/libdisaggd_routing_random.so): select"). An exception escaping the plugin becomes
/// kInternal instead of unwinding through the daemon.
template <class Call>
Status call_plugin(std::string_view what, Call&& call) {
  StringSink sink;
  disaggd_status status = DISAGGD_STATUS_INTERNAL;
  try {
    status = std::forward<Call>(call)(sink.get());
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal,
                  std::string(what) + ": plugin threw a C++ exception across the ABI: " + e.what());
  } catch (...) {
    return Status(StatusCode::kInternal,
                  std::string(what) + ": plugin threw an exception across the ABI");
  }
  if (status == DISAGGD_STATUS_OK) {
    return Status();
  }
  std::string message = sink.text().empty() ? "failed without a message" : sink.text();
  return Status(status_code_from_abi(status), std::string(what) + ": " + message);
}

}  // namespace disaggd::core
