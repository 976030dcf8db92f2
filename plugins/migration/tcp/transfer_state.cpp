// The decode side's state of one batched read (see transfer_state.h).
#include "transfer_state.h"

namespace disaggd::migration_tcp {

void TransferState::landed(uint64_t bytes) {
  if (remaining_.fetch_sub(bytes) == bytes) {
    int expected = DISAGGD_STATUS_IN_PROGRESS;
    status_.compare_exchange_strong(expected, DISAGGD_STATUS_OK);
  }
}

void TransferState::fail(disaggd_status status, const std::string& message) {
  // poll() takes the same lock after it sees the error, so it always reads the message.
  const std::lock_guard lock(message_mutex_);
  int expected = DISAGGD_STATUS_IN_PROGRESS;
  if (status_.compare_exchange_strong(expected, status)) {
    message_ = message;
  }
}

sdk::TransferStatus TransferState::poll() {
  if (in_progress() && Clock::now() >= deadline_) {
    fail(DISAGGD_STATUS_TIMEOUT, "the transfer did not finish before its deadline");
  }
  const auto status = static_cast<disaggd_status>(status_.load());
  if (status == DISAGGD_STATUS_OK || status == DISAGGD_STATUS_IN_PROGRESS) {
    return sdk::TransferStatus{status, {}};
  }
  const std::lock_guard lock(message_mutex_);
  return sdk::TransferStatus{status, message_};
}

void TransferState::release() {
  fail(DISAGGD_STATUS_CANCELLED, "released");
  const std::unique_lock lock(write_mutex_);
  released_ = true;
}

}  // namespace disaggd::migration_tcp
