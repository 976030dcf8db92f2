// Sockets for the tcp migration plugin (see socket_util.h).
#include "socket_util.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "disaggd/sdk/error.hpp"

namespace disaggd::migration_tcp {
namespace {

using sdk::Error;

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

AddrInfoList resolve(const std::string& host, uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    throw Error(passive ? DISAGGD_STATUS_UNAVAILABLE : DISAGGD_STATUS_REMOTE_DISCONNECTED,
                "cannot resolve '" + host + "': " + gai_strerror(rc));
  }
  return AddrInfoList(list);
}

void set_flag(int fd, int level, int option) {
  const int one = 1;
  if (setsockopt(fd, level, option, &one, sizeof(one)) != 0) {
    throw Error(DISAGGD_STATUS_INTERNAL, "setsockopt: " + error_text(errno));
  }
}

void set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw Error(DISAGGD_STATUS_INTERNAL, "fcntl: " + error_text(errno));
  }
}

int poll_timeout_ms(Deadline deadline) {
  if (deadline == Deadline::max()) {
    return -1;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 1 << 30));
}

/// Connects one address; returns an invalid Fd with `*error` set when it fails.
Fd try_connect(const addrinfo& address, Deadline deadline, int* error) {
  Fd fd(socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC, address.ai_protocol));
  if (!fd.valid()) {
    *error = errno;
    return Fd();
  }
  set_nonblocking(fd.get());
  if (connect(fd.get(), address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      *error = errno;
      return Fd();
    }
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
      *error = ETIMEDOUT;
      return Fd();
    }
    int result = 0;
    socklen_t length = sizeof(result);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &result, &length);
    if (result != 0) {
      *error = result;
      return Fd();
    }
  }
  set_flag(fd.get(), IPPROTO_TCP, TCP_NODELAY);
  return fd;
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

std::string error_text(int error) {
  char buffer[256];
  return strerror_r(error, buffer, sizeof(buffer));
}

std::string host_port(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Fd listen_on(const std::string& host, uint16_t port) {
  const std::string where = host_port(host, port);
  AddrInfoList list = resolve(host, port, true);
  int error = 0;
  for (const addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    Fd fd(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) {
      error = errno;
      continue;
    }
    set_flag(fd.get(), SOL_SOCKET, SO_REUSEADDR);
    if (bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || listen(fd.get(), 128) != 0) {
      error = errno;
      continue;
    }
    set_nonblocking(fd.get());
    return fd;
  }
  throw Error(DISAGGD_STATUS_UNAVAILABLE, "cannot listen on " + where + ": " + error_text(error));
}

uint16_t bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw Error(DISAGGD_STATUS_INTERNAL, "getsockname: " + error_text(errno));
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

Fd connect_to(const std::string& host, uint16_t port, Deadline deadline) {
  AddrInfoList list = resolve(host, port, false);
  int error = 0;
  for (const addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    Fd fd = try_connect(*a, deadline, &error);
    if (fd.valid()) {
      return fd;
    }
    if (error == ETIMEDOUT) {
      break;
    }
  }
  const std::string message = "cannot connect to " + host_port(host, port) + ": ";
  if (error == ETIMEDOUT) {
    throw Error(DISAGGD_STATUS_TIMEOUT, message + "timed out");
  }
  throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED, message + error_text(error));
}

void prepare_socket(int fd) {
  set_nonblocking(fd);
  set_flag(fd, IPPROTO_TCP, TCP_NODELAY);
}

bool wait_for(int fd, short events, Deadline deadline) {
  while (true) {
    pollfd entry{fd, events, 0};
    const int rc = poll(&entry, 1, poll_timeout_ms(deadline));
    if (rc > 0) {
      return true;
    }
    if (rc == 0) {
      if (Clock::now() >= deadline) {
        return false;
      }
      continue;  // Woke up a little early (the timeout is rounded to milliseconds).
    }
    if (errno != EINTR) {
      throw Error(DISAGGD_STATUS_INTERNAL, "poll: " + error_text(errno));
    }
  }
}

void send_exactly(int fd, const void* data, std::size_t size, Deadline deadline, const char* what) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = send(fd, bytes, size, MSG_NOSIGNAL);
    if (n > 0) {
      bytes += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline)) {
        throw Error(DISAGGD_STATUS_TIMEOUT, std::string(what) + ": timed out");
      }
    } else if (n < 0 && errno != EINTR) {
      throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED, std::string(what) + ": " + error_text(errno));
    }
  }
}

void recv_exactly(int fd, void* data, std::size_t size, Deadline deadline, const char* what) {
  auto* bytes = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = recv(fd, bytes, size, 0);
    if (n > 0) {
      bytes += n;
      size -= static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED,
                  std::string(what) + ": the peer closed the connection");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd, POLLIN, deadline)) {
        throw Error(DISAGGD_STATUS_TIMEOUT, std::string(what) + ": timed out");
      }
    } else if (errno != EINTR) {
      throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED, std::string(what) + ": " + error_text(errno));
    }
  }
}

}  // namespace disaggd::migration_tcp
