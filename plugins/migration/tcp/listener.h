// The listener of a tcp migration instance: accepts peers and serves each connection on a thread
// of its own until the peer leaves or the listener stops.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "serve_connection.h"
#include "socket_util.h"

namespace disaggd::migration_tcp {

class Listener {
 public:
  /// Binds host:port (port 0: an ephemeral one) and starts accepting. `context` (its registry
  /// included) must outlive the listener. Throws Error(UNAVAILABLE) when it cannot listen.
  Listener(const std::string& host, uint16_t port, ServeContext context);
  /// Stops accepting, shuts every connection down and joins their threads.
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// The port it listens on.
  uint16_t port() const { return port_; }

 private:
  struct Connection {
    Fd fd;
    std::thread thread;
    std::atomic<bool> finished{false};
  };

  void accept_loop();
  /// Joins the threads of connections that ended; the caller holds mutex_.
  void reap_finished();

  ServeContext context_;
  Fd listen_fd_;
  Fd wake_fd_;  ///< eventfd that stops accept_loop().
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  ///< Guards connections_.
  std::list<Connection> connections_;
  std::thread accept_thread_;
};

}  // namespace disaggd::migration_tcp
