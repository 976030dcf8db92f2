// The listener of a tcp migration instance (see listener.h).
#include "listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <utility>

#include "disaggd/sdk/error.hpp"

namespace disaggd::migration_tcp {

Listener::Listener(const std::string& host, uint16_t port, ServeContext context)
    : context_(std::move(context)),
      listen_fd_(listen_on(host, port)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      port_(bound_port(listen_fd_.get())) {
  if (!wake_fd_.valid()) {
    throw sdk::Error(DISAGGD_STATUS_INTERNAL, "eventfd: " + error_text(errno));
  }
  accept_thread_ = std::thread([this] { accept_loop(); });
}

Listener::~Listener() {
  stopping_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = write(wake_fd_.get(), &one, sizeof(one));
  accept_thread_.join();
  const std::lock_guard lock(mutex_);
  for (Connection& connection : connections_) {
    shutdown(connection.fd.get(), SHUT_RDWR);  // Wakes its thread out of any wait.
  }
  for (Connection& connection : connections_) {
    connection.thread.join();
  }
}

void Listener::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->finished) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Listener::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 || (fds[0].revents & POLLIN) == 0) {
      continue;
    }
    Fd accepted(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!accepted.valid()) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // Out of descriptors: no spin.
      }
      continue;  // Or the peer gave up already.
    }
    try {
      prepare_socket(accepted.get());
    } catch (const sdk::Error&) {
      continue;
    }
    const std::lock_guard lock(mutex_);
    reap_finished();
    Connection& connection = connections_.emplace_back();
    connection.fd = std::move(accepted);
    connection.thread = std::thread([this, &connection] {
      serve_connection(connection.fd.get(), context_);
      shutdown(connection.fd.get(), SHUT_RDWR);  // The peer sees the end at once.
      connection.finished = true;
    });
  }
}

}  // namespace disaggd::migration_tcp
