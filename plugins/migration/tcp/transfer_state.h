// The state of one batched read on the decode side, shared by the transfer handle and the
// connections moving its pieces: bytes still missing, outcome, deadline, and the lock that keeps
// connections from writing into the destination once the handle is released.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "disaggd/sdk/migration.hpp"
#include "region_registry.h"
#include "socket_util.h"

namespace disaggd::migration_tcp {

/// Thread-safe. The first outcome (success, failure, timeout) wins and never changes.
class TransferState {
 public:
  TransferState(uint64_t bytes, Deadline deadline) : remaining_(bytes), deadline_(deadline) {}

  /// Records that `bytes` more landed; the transfer succeeds when every byte did.
  void landed(uint64_t bytes);
  /// Ends the transfer with `status` unless it has ended already.
  void fail(disaggd_status status, const std::string& message);
  /// The outcome so far; IN_PROGRESS turns into TIMEOUT once the deadline has passed.
  sdk::TransferStatus poll();
  bool in_progress() const { return status_.load() == DISAGGD_STATUS_IN_PROGRESS; }
  Deadline deadline() const { return deadline_; }

  /// Held shared by a connection while it writes into the destination; check writable() under
  /// it. Taken exclusively by release().
  std::shared_mutex& write_lock() { return write_mutex_; }
  /// True while the destination may be written (in progress and not released). Call it with
  /// write_lock() held.
  bool writable() const { return !released_ && in_progress(); }
  /// Cancels the transfer and waits until no connection writes into the destination any more.
  void release();

 private:
  std::atomic<int> status_{DISAGGD_STATUS_IN_PROGRESS};
  std::atomic<uint64_t> remaining_;
  const Deadline deadline_;
  std::mutex message_mutex_;
  std::string message_;  ///< Guarded by message_mutex_, set in the same critical section.
  std::shared_mutex write_mutex_;
  bool released_ = false;  ///< Guarded by write_mutex_.
};

/// The handle the host holds: polls the state; destruction (release_fn) cancels it and then lets
/// the local regions be deregistered.
class TcpTransfer final : public sdk::MigrationTransfer {
 public:
  TcpTransfer(std::shared_ptr<TransferState> state, RegionRegistry::Pins pins)
      : state_(std::move(state)), pins_(std::move(pins)) {}
  ~TcpTransfer() override { state_->release(); }
  sdk::TransferStatus poll() override { return state_->poll(); }

 private:
  std::shared_ptr<TransferState> state_;
  RegionRegistry::Pins pins_;  ///< Destroyed after the destructor's release().
};

}  // namespace disaggd::migration_tcp
