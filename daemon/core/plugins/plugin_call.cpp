// Calls into plugin code.
#include "core/plugins/plugin_call.h"

namespace disaggd::core {

StringSink::StringSink() : sink_{this, &StringSink::append} {}

void StringSink::append(void* host_ptr, const char* data, size_t size) {
  if (data != nullptr && size > 0) {
    static_cast<StringSink*>(host_ptr)->text_.append(data, size);
  }
}

StatusCode status_code_from_abi(disaggd_status status) {
  switch (status) {
    case DISAGGD_STATUS_OK:
      return StatusCode::kOk;
    case DISAGGD_STATUS_IN_PROGRESS:  // Only poll-style calls expect it; elsewhere it is a failure.
    case DISAGGD_STATUS_INVALID_ARGUMENT:
      return StatusCode::kInvalidArgument;
    case DISAGGD_STATUS_NOT_FOUND:
      return StatusCode::kNotFound;
    case DISAGGD_STATUS_UNAVAILABLE:
    case DISAGGD_STATUS_REMOTE_DISCONNECTED:
      return StatusCode::kUnavailable;
    case DISAGGD_STATUS_UNSUPPORTED:
      return StatusCode::kUnsupported;
    case DISAGGD_STATUS_OUT_OF_MEMORY:
      return StatusCode::kOutOfMemory;
    case DISAGGD_STATUS_TIMEOUT:
      return StatusCode::kTimeout;
    case DISAGGD_STATUS_CANCELLED:
      return StatusCode::kCancelled;
    case DISAGGD_STATUS_INTERNAL:
      return StatusCode::kInternal;
  }
  return StatusCode::kInternal;
}

}  // namespace disaggd::core
