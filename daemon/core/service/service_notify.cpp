// systemd's notification protocol: one datagram on an AF_UNIX socket. Written here rather than
// linking libsystemd for one sendto().
#include "core/service/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace disaggd::core {

namespace {

/// `error`: errno, saved by the caller before anything else could change it.
Status failure(const std::string& socket_name, const std::string& what, int error) {
  return Status(StatusCode::kUnavailable,
                "NOTIFY_SOCKET " + socket_name + ": " + what + ": " + std::strerror(error));
}

}  // namespace

Status notify_service_manager(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || name[0] == '\0') {
    return Status();
  }
  const std::string socket_name(name);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // A path needs its terminating NUL inside sun_path; an abstract name does not.
  const bool abstract = socket_name[0] == '@';
  const std::size_t room = sizeof(address.sun_path) - (abstract ? 0 : 1);
  if (socket_name.size() > room || (socket_name[0] != '/' && !abstract)) {
    return Status(StatusCode::kInvalidArgument,
                  "NOTIFY_SOCKET " + socket_name + ": not an absolute path or an @abstract name");
  }
  std::memcpy(address.sun_path, socket_name.data(), socket_name.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size());
  if (abstract) {
    address.sun_path[0] = '\0';  // abstract namespace: no terminating NUL counted
  } else {
    length += 1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return failure(socket_name, "socket", errno);
  }
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  const int send_error = errno;
  Status result = sent < 0 ? failure(socket_name, "sendto", send_error) : Status();
  ::close(fd);
  return result;
}

}  // namespace disaggd::core
