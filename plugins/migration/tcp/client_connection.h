// One decode-side connection to a listener: requests go out without blocking (from the caller's
// thread when the socket takes them, else from the connection's own I/O thread), responses are
// received by the I/O thread straight into the destination memory (readv, no bounce buffer).
// Many requests are in flight at once; they are answered in order.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "endpoint.h"
#include "iov_cursor.h"
#include "socket_util.h"
#include "transfer_state.h"
#include "wire_format.h"

namespace disaggd::migration_tcp {

/// Where a peer is and how to talk to it; shared by its connections.
struct PeerTarget {
  Endpoint endpoint;
  std::string token;
  std::chrono::milliseconds io_timeout{10000};
};

/// Connects to one of the peer's addresses and does the hello, before `deadline`. Throws
/// sdk::Error (the last address's failure).
Fd connect_peer(const PeerTarget& target, Deadline deadline);

/// One request: some ranges of a transfer and where their bytes go.
struct Piece {
  std::shared_ptr<TransferState> transfer;
  std::vector<WireRange> ranges;   ///< On the listener.
  std::vector<iovec> destination;  ///< Local memory, one entry per range.
  uint64_t bytes = 0;
  uint64_t request_id = 0;  ///< Set by ClientConnection::submit().
};

/// Thread-safe.
class ClientConnection {
 public:
  /// Takes over `connected`, a socket that passed the hello (connect_peer()).
  ClientConnection(std::shared_ptr<const PeerTarget> target, Fd connected);
  /// Stops the I/O thread; pieces not done fail with CANCELLED.
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  /// Queues a request and sends what the socket takes now; never blocks on the network. A
  /// connection that broke is connected again (by the I/O thread) for it.
  void submit(std::unique_ptr<Piece> piece);
  /// Bytes of requests queued or in flight, for spreading pieces.
  uint64_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }

 private:
  enum class Receiving { kHeader, kPayload, kMessage };
  /// What one receive step achieved.
  enum class Step { kMore, kWait, kBroken };

  void run();
  /// Writes queued requests until the socket is full; mutex_ held. False when the socket broke.
  bool flush_locked();
  /// Receives what the socket has; false when the connection broke (already handled).
  bool receive();
  Step receive_header();
  Step receive_payload();
  Step receive_message();
  /// What a recv-like call's result `n` means; handles end of stream and errors.
  Step after_recv(ssize_t n);
  /// Ends the current response's piece; the front of in_flight_.
  void finish_front(disaggd_status status, const std::string& message);
  /// Closes the socket and fails every queued and in-flight piece with `message`.
  void break_connection(disaggd_status status, const std::string& message);
  void reconnect();
  void mark_progress();
  void wake();

  const std::shared_ptr<const PeerTarget> target_;
  const std::string where_;  ///< host:port, for messages.
  Fd wake_fd_;

  mutable std::mutex mutex_;  ///< Guards everything below up to the I/O thread's state.
  Fd fd_;                     ///< Replaced only by the I/O thread, under mutex_.
  bool stopping_ = false;
  uint64_t next_request_id_ = 1;
  std::deque<std::unique_ptr<Piece>> unsent_;     ///< Requests not fully written.
  std::deque<std::vector<uint8_t>> unsent_wire_;  ///< Their encoded bytes.
  std::size_t unsent_offset_ = 0;                 ///< Bytes of the front already written.
  std::deque<std::unique_ptr<Piece>> in_flight_;  ///< Written; answered in this order.

  std::atomic<uint64_t> queued_bytes_{0};
  std::atomic<Clock::rep> last_progress_{0};

  // The I/O thread's receive state.
  Receiving receiving_ = Receiving::kHeader;
  FrameBytes header_{};
  std::size_t header_got_ = 0;
  Frame response_;
  Piece* front_ = nullptr;
  IovCursor cursor_;
  uint64_t payload_left_ = 0;
  std::string message_;
  std::size_t message_got_ = 0;
  std::vector<uint8_t> discard_;  ///< Sink for bytes of a transfer that ended meanwhile.

  std::thread thread_;  ///< Last: started when everything else is ready.
};

}  // namespace disaggd::migration_tcp
