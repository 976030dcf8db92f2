// Sockets for the tcp migration plugin: an owning descriptor, listening, connecting and moving
// bytes on non-blocking sockets under a deadline. Failures throw sdk::Error with the status the
// ABI documents (TIMEOUT, REMOTE_DISCONNECTED, UNAVAILABLE).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace disaggd::migration_tcp {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

/// An owned file descriptor; closed on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

/// "host:port", with brackets around IPv6 addresses.
std::string host_port(const std::string& host, uint16_t port);

/// A non-blocking listening socket on host:port (SO_REUSEADDR, never SO_REUSEPORT). Throws
/// Error(UNAVAILABLE, "cannot listen on HOST:PORT: ...").
Fd listen_on(const std::string& host, uint16_t port);
/// The port a socket is bound to.
uint16_t bound_port(int fd);

/// A connected non-blocking TCP socket (TCP_NODELAY) to host:port, before `deadline`. Throws
/// TIMEOUT, or REMOTE_DISCONNECTED when nothing accepts there.
Fd connect_to(const std::string& host, uint16_t port, Deadline deadline);

/// Makes an accepted socket non-blocking with TCP_NODELAY.
void prepare_socket(int fd);

/// Waits until `fd` has any of `events` (poll(2) flags), `deadline` passes (returns false) or, with
/// `deadline` == Deadline::max(), forever. Throws on poll failure.
bool wait_for(int fd, short events, Deadline deadline);

/// Sends or receives exactly `size` bytes on a non-blocking socket before `deadline`. Throws
/// TIMEOUT, or REMOTE_DISCONNECTED when the peer closed the connection or it broke; `what` names
/// the step in the message.
void send_exactly(int fd, const void* data, std::size_t size, Deadline deadline, const char* what);
void recv_exactly(int fd, void* data, std::size_t size, Deadline deadline, const char* what);

/// The description of errno `error` ("Connection refused").
std::string error_text(int error);

}  // namespace disaggd::migration_tcp
