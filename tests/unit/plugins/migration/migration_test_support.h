// Test helpers for migration backends: two tcp plugin instances in one process over real
// loopback sockets, memory with random patterns, waiting for transfers, and a TCP forwarder that
// can stop forwarding (a listener that hangs mid-transfer).
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/plugins/migration_backend.h"
#include "core/plugins/plugin_host.h"
#include "core/plugins/plugin_options.h"
#include "socket_util.h"

namespace disaggd::test {

inline core::PluginOption option(const std::string& key, const std::string& value) {
  return core::PluginOption::from_scalar(key, value, false);
}

/// Creates the tcp plugin with `options` (io_timeout_ms 2000 unless given).
inline core::Result<std::unique_ptr<core::MigrationBackend>> create_tcp(
    core::PluginOptions options = {}) {
  bool has_timeout = false;
  for (const auto& o : options) {
    has_timeout = has_timeout || o.key == "io_timeout_ms";
  }
  if (!has_timeout) {
    options.push_back(option("io_timeout_ms", "2000"));
  }
  core::PluginHost host({DISAGGD_TEST_PLUGIN_DIR});
  auto library = host.load(core::PluginKind::kMigration, "tcp");
  if (!library.ok()) {
    return library.status();
  }
  return core::MigrationBackend::create(*library, options);
}

/// One side of a migration: a plugin instance and one registered region of host memory.
struct Side {
  std::unique_ptr<core::MigrationBackend> backend;
  std::vector<uint8_t> memory;
  uint64_t region = 0;
};

/// A side with `bytes` of memory filled by `fill` (random with `seed`, or zeros when seed is 0).
inline Side make_side(std::size_t bytes, uint64_t seed, core::PluginOptions options = {}) {
  Side side;
  auto backend = create_tcp(std::move(options));
  EXPECT_TRUE(backend.ok()) << backend.status().message();
  if (!backend.ok()) {
    return side;
  }
  side.backend = std::move(backend).value();
  side.memory.assign(bytes, 0);
  if (seed != 0) {
    std::mt19937_64 random(seed);
    for (auto& byte : side.memory) {
      byte = static_cast<uint8_t>(random());
    }
  }
  auto region = side.backend->register_region(side.memory.data(), bytes, DISAGGD_MEMORY_HOST, -1);
  EXPECT_TRUE(region.ok()) << region.status().message();
  side.region = region.ok() ? *region : 0;
  return side;
}

/// Polls `transfer` until it is no longer in progress (at most `limit`); OK, or its error.
inline core::Status wait_for(core::MigrationBackend& backend, core::MigrationTransfer* transfer,
                             std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (true) {
    const core::Result<bool> done = backend.poll(transfer);
    if (!done.ok() || *done) {
      return done.status();
    }
    if (std::chrono::steady_clock::now() > until) {
      return core::Status(core::StatusCode::kInternal, "test gave up waiting");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

/// Starts a read and waits for it; the read's or the wait's status.
inline core::Status read_and_wait(core::MigrationBackend& backend, core::MigrationPeer* peer,
                                  const std::vector<disaggd_migration_read_op>& ops,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto transfer = backend.read(peer, ops, timeout);
  if (!transfer.ok()) {
    return transfer.status();
  }
  const core::Status status = wait_for(backend, *transfer);
  backend.release(*transfer);
  return status;
}

/// The endpoint JSON with its port replaced.
inline std::string with_port(const std::string& endpoint, uint16_t port) {
  nlohmann::json json = nlohmann::json::parse(endpoint);
  json["port"] = port;
  return json.dump();
}

/// A loopback TCP forwarder to 127.0.0.1:`target_port`. While frozen it moves no byte (but keeps
/// every connection open), like a listener whose process hangs.
class Forwarder {
 public:
  explicit Forwarder(uint16_t target_port)
      : target_port_(target_port), listener_(migration_tcp::listen_on("127.0.0.1", 0)) {
    port_ = migration_tcp::bound_port(listener_.get());
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~Forwarder() {
    stopping_ = true;
    accept_thread_.join();
    const std::lock_guard lock(mutex_);
    for (auto& fd : fds_) {
      shutdown(fd.get(), SHUT_RDWR);
    }
    for (auto& thread : pumps_) {
      thread.join();
    }
  }
  uint16_t port() const { return port_; }
  void freeze(bool frozen) { frozen_ = frozen; }

 private:
  void accept_loop() {
    while (!stopping_) {
      if (!migration_tcp::wait_for(listener_.get(), POLLIN,
                                   migration_tcp::Clock::now() + std::chrono::milliseconds(20))) {
        continue;
      }
      migration_tcp::Fd client(accept(listener_.get(), nullptr, nullptr));
      if (!client.valid()) {
        continue;
      }
      migration_tcp::Fd server = migration_tcp::connect_to(
          "127.0.0.1", target_port_, migration_tcp::Clock::now() + std::chrono::seconds(5));
      const std::lock_guard lock(mutex_);
      const int a = fds_.emplace_back(std::move(client)).get();
      const int b = fds_.emplace_back(std::move(server)).get();
      pumps_.emplace_back([this, a, b] { pump(a, b); });
      pumps_.emplace_back([this, a, b] { pump(b, a); });
    }
  }

  void pump(int from, int to) {
    std::vector<char> buffer(1 << 16);
    while (!stopping_) {
      if (frozen_ ||
          !migration_tcp::wait_for(from, POLLIN,
                                   migration_tcp::Clock::now() + std::chrono::milliseconds(20))) {
        std::this_thread::sleep_for(std::chrono::milliseconds(frozen_ ? 5 : 0));
        continue;
      }
      const ssize_t n = recv(from, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        shutdown(to, SHUT_RDWR);
        return;
      }
      for (ssize_t sent = 0; n > 0 && sent < n;) {
        const ssize_t m =
            send(to, buffer.data() + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
        if (m > 0) {
          sent += m;
        } else if (m < 0 && errno != EAGAIN && errno != EINTR) {
          return;
        } else {
          migration_tcp::wait_for(to, POLLOUT,
                                  migration_tcp::Clock::now() + std::chrono::milliseconds(20));
        }
      }
    }
  }

  uint16_t target_port_;
  migration_tcp::Fd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> frozen_{false};
  std::mutex mutex_;
  std::list<migration_tcp::Fd> fds_;
  std::list<std::thread> pumps_;
  std::thread accept_thread_;
};

}  // namespace disaggd::test
