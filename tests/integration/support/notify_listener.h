// The receiving end of systemd's notification socket, for tests of Type=notify support.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>

namespace disaggd::testing {

/// A bound AF_UNIX datagram socket: `name` ("@..." abstract, or an absolute path) is what
/// NOTIFY_SOCKET must hold. Closed (and a path unlinked) by the destructor.
class NotifyListener {
 public:
  explicit NotifyListener(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') {
      address.sun_path[0] = '\0';
    }
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                               (name_[0] == '@' ? 0 : 1));
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  }
  ~NotifyListener() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    if (bound_ && name_[0] == '/') {
      ::unlink(name_.c_str());
    }
  }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  bool bound() const { return bound_; }
  const std::string& name() const { return name_; }

  /// The next datagram, or nothing when none arrives within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) {
      return std::nullopt;
    }
    char buffer[4096];
    const ssize_t size = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (size < 0) {
      return std::nullopt;
    }
    return std::string(buffer, static_cast<size_t>(size));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

/// An abstract socket name no other test process uses.
inline std::string unique_notify_socket_name(const std::string& tag) {
  return "@disaggd-test-" + tag + "-" + std::to_string(::getpid());
}

}  // namespace disaggd::testing
