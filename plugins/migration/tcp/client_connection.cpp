// One decode-side connection to a listener (see client_connection.h).
#include "client_connection.h"

#include <limits.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <shared_mutex>
#include <utility>

#include "disaggd/sdk/error.hpp"
#include "handshake.h"

namespace disaggd::migration_tcp {
namespace {

/// Requests written with one sendmsg at most.
constexpr std::size_t kRequestsPerWrite = 64;
constexpr std::size_t kDiscardBytes = 64 * 1024;

}  // namespace

Fd connect_peer(const PeerTarget& target, Deadline deadline) {
  std::optional<sdk::Error> failure;
  for (const std::string& address : target.endpoint.addresses) {
    try {
      Fd fd = connect_to(address, target.endpoint.port, deadline);
      client_handshake(fd.get(), target.token, target.endpoint.epoch, deadline,
                       host_port(address, target.endpoint.port));
      return fd;
    } catch (const sdk::Error& e) {
      failure = e;
    }
  }
  throw *failure;  // parse_endpoint() guarantees at least one address.
}

ClientConnection::ClientConnection(std::shared_ptr<const PeerTarget> target, Fd connected)
    : target_(std::move(target)),
      where_(host_port(target_->endpoint.addresses.front(), target_->endpoint.port)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      fd_(std::move(connected)),
      discard_(kDiscardBytes) {
  if (!wake_fd_.valid()) {
    throw sdk::Error(DISAGGD_STATUS_INTERNAL, "eventfd: " + error_text(errno));
  }
  mark_progress();
  thread_ = std::thread([this] { run(); });
}

ClientConnection::~ClientConnection() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  thread_.join();
  break_connection(DISAGGD_STATUS_CANCELLED, where_ + ": the peer was disconnected");
}

void ClientConnection::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = write(wake_fd_.get(), &one, sizeof(one));
}

void ClientConnection::mark_progress() {
  last_progress_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

void ClientConnection::submit(std::unique_ptr<Piece> piece) {
  std::vector<uint8_t> wire(kFrameBytes + piece->ranges.size() * kRangeBytes);
  bool need_wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) {
      piece->transfer->fail(DISAGGD_STATUS_CANCELLED, where_ + ": the peer was disconnected");
      return;
    }
    piece->request_id = next_request_id_++;
    const FrameBytes frame =
        encode_frame(Frame{FrameType::kRequest, static_cast<uint32_t>(piece->ranges.size()),
                           piece->request_id, piece->bytes});
    std::copy(frame.begin(), frame.end(), wire.begin());
    for (std::size_t i = 0; i < piece->ranges.size(); ++i) {
      encode_range(piece->ranges[i], wire.data() + kFrameBytes + i * kRangeBytes);
    }
    if (unsent_.empty() && in_flight_.empty()) {
      mark_progress();  // Idle time before this request is no stall.
    }
    queued_bytes_ += piece->bytes;
    unsent_.push_back(std::move(piece));
    unsent_wire_.push_back(std::move(wire));
    const bool sent = fd_.valid() && flush_locked();
    // The I/O thread must reconnect, wait for room in the socket, or notice that it broke.
    need_wake = !sent || !unsent_.empty();
  }
  if (need_wake) {
    wake();
  }
}

bool ClientConnection::flush_locked() {
  while (!unsent_.empty()) {
    if (unsent_offset_ == 0 && !unsent_.front()->transfer->in_progress()) {
      queued_bytes_ -= unsent_.front()->bytes;  // Ended before a byte went out: skip it.
      unsent_.pop_front();
      unsent_wire_.pop_front();
      continue;
    }
    iovec iov[kRequestsPerWrite];
    const std::size_t count = std::min(unsent_wire_.size(), kRequestsPerWrite);
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t skip = i == 0 ? unsent_offset_ : 0;
      iov[i] = iovec{unsent_wire_[i].data() + skip, unsent_wire_[i].size() - skip};
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t n = sendmsg(fd_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    mark_progress();
    while (n > 0) {
      const std::size_t left = unsent_wire_.front().size() - unsent_offset_;
      if (static_cast<std::size_t>(n) < left) {
        unsent_offset_ += static_cast<std::size_t>(n);
        break;
      }
      n -= static_cast<ssize_t>(left);
      in_flight_.push_back(std::move(unsent_.front()));
      unsent_.pop_front();
      unsent_wire_.pop_front();
      unsent_offset_ = 0;
    }
  }
  return true;
}

void ClientConnection::run() {
  while (true) {
    bool connected = false;
    bool want_out = false;
    bool pending = false;
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      connected = fd_.valid();
      want_out = connected && !unsent_.empty();
      pending = !unsent_.empty() || !in_flight_.empty();
    }
    if (!connected && pending) {
      reconnect();
      continue;
    }
    const auto io_timeout = target_->io_timeout;
    const Clock::time_point last{Clock::duration(last_progress_.load())};
    const auto left =
        pending ? std::chrono::ceil<std::chrono::milliseconds>(last + io_timeout - Clock::now())
                : io_timeout;
    pollfd fds[2] = {
        {connected ? fd_.get() : -1, static_cast<short>(POLLIN | (want_out ? POLLOUT : 0)), 0},
        {wake_fd_.get(), POLLIN, 0}};
    poll(fds, 2, static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0)));
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t n = read(wake_fd_.get(), &count, sizeof(count));
    }
    if (connected && (fds[0].revents & POLLOUT) != 0) {
      std::unique_lock lock(mutex_);
      if (!flush_locked()) {
        const std::string why = error_text(errno);
        lock.unlock();
        break_connection(DISAGGD_STATUS_REMOTE_DISCONNECTED, where_ + ": send: " + why);
        continue;
      }
    }
    if (connected && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !receive()) {
      continue;
    }
    if (pending &&
        Clock::now() - Clock::time_point(Clock::duration(last_progress_.load())) >= io_timeout) {
      bool still_pending = false;
      {
        const std::lock_guard lock(mutex_);
        still_pending = !unsent_.empty() || !in_flight_.empty();
      }
      if (still_pending) {
        break_connection(DISAGGD_STATUS_TIMEOUT, where_ + ": no progress for " +
                                                     std::to_string(io_timeout.count()) +
                                                     " ms (io_timeout_ms)");
      }
    }
  }
}

void ClientConnection::reconnect() {
  Fd fd;
  try {
    fd = connect_peer(*target_, Clock::now() + target_->io_timeout);
  } catch (const sdk::Error& e) {
    break_connection(e.status(), e.what());
    return;
  }
  const std::lock_guard lock(mutex_);
  fd_ = std::move(fd);
  mark_progress();
  flush_locked();  // A failure shows as a broken socket in the next poll.
}

bool ClientConnection::receive() {
  while (true) {
    Step step = Step::kWait;
    switch (receiving_) {
      case Receiving::kHeader:
        step = receive_header();
        break;
      case Receiving::kPayload:
        step = receive_payload();
        break;
      case Receiving::kMessage:
        step = receive_message();
        break;
    }
    if (step != Step::kMore) {
      return step == Step::kWait;
    }
  }
}

ClientConnection::Step ClientConnection::after_recv(ssize_t n) {
  if (n > 0) {
    mark_progress();
    return Step::kMore;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return Step::kWait;
  }
  if (n < 0 && errno == EINTR) {
    return Step::kMore;
  }
  break_connection(
      DISAGGD_STATUS_REMOTE_DISCONNECTED,
      where_ + (n == 0 ? ": the peer closed the connection" : ": receive: " + error_text(errno)));
  return Step::kBroken;
}

ClientConnection::Step ClientConnection::receive_header() {
  const ssize_t n =
      recv(fd_.get(), header_.data() + header_got_, header_.size() - header_got_, MSG_DONTWAIT);
  const Step step = after_recv(n);
  if (n <= 0) {
    return step;
  }
  header_got_ += static_cast<std::size_t>(n);
  if (header_got_ < header_.size()) {
    return Step::kMore;
  }
  header_got_ = 0;
  {
    const std::lock_guard lock(mutex_);
    front_ = in_flight_.empty() ? nullptr : in_flight_.front().get();
  }
  const bool known = decode_frame(header_.data(), &response_) &&
                     response_.type == FrameType::kResponse && front_ != nullptr &&
                     response_.b == front_->request_id;
  const bool ok = known && response_.a == DISAGGD_STATUS_OK;
  if (!known || (ok && response_.c != front_->bytes) || (!ok && response_.c > kMaxMessageBytes)) {
    break_connection(DISAGGD_STATUS_REMOTE_DISCONNECTED,
                     where_ + ": protocol error: unexpected response");
    return Step::kBroken;
  }
  if (ok) {
    cursor_ = IovCursor(&front_->destination);
    payload_left_ = response_.c;
    receiving_ = Receiving::kPayload;
  } else {
    message_.assign(response_.c, '\0');
    message_got_ = 0;
    receiving_ = Receiving::kMessage;
  }
  return Step::kMore;
}

ClientConnection::Step ClientConnection::receive_payload() {
  TransferState& transfer = *front_->transfer;
  ssize_t n = 0;
  {
    // While held, release() cannot return: the destination is still the host's to give us.
    const std::shared_lock lock(transfer.write_lock());
    if (transfer.writable()) {
      iovec window[IOV_MAX];
      n = readv(fd_.get(), window, static_cast<int>(cursor_.window(window, IOV_MAX)));
    } else {
      n = recv(fd_.get(), discard_.data(),
               static_cast<std::size_t>(std::min<uint64_t>(discard_.size(), payload_left_)),
               MSG_DONTWAIT);
    }
  }
  const Step step = after_recv(n);
  if (n <= 0) {
    return step;
  }
  cursor_.advance(static_cast<std::size_t>(n));
  payload_left_ -= static_cast<uint64_t>(n);
  if (payload_left_ == 0) {
    finish_front(DISAGGD_STATUS_OK, "");
  }
  return Step::kMore;
}

ClientConnection::Step ClientConnection::receive_message() {
  ssize_t n = 0;
  if (message_got_ < message_.size()) {
    n = recv(fd_.get(), message_.data() + message_got_, message_.size() - message_got_,
             MSG_DONTWAIT);
    const Step step = after_recv(n);
    if (n <= 0) {
      return step;
    }
    message_got_ += static_cast<std::size_t>(n);
  }
  if (message_got_ == message_.size()) {
    auto status = static_cast<disaggd_status>(response_.a);
    if (status == DISAGGD_STATUS_IN_PROGRESS) {
      status = DISAGGD_STATUS_INTERNAL;
    }
    finish_front(status, where_ + ": the peer refused the read: " + message_);
  }
  return Step::kMore;
}

void ClientConnection::finish_front(disaggd_status status, const std::string& message) {
  if (status == DISAGGD_STATUS_OK) {
    front_->transfer->landed(front_->bytes);
  } else {
    front_->transfer->fail(status, message);
  }
  queued_bytes_ -= front_->bytes;
  front_ = nullptr;
  receiving_ = Receiving::kHeader;
  const std::lock_guard lock(mutex_);
  in_flight_.pop_front();
}

void ClientConnection::break_connection(disaggd_status status, const std::string& message) {
  std::deque<std::unique_ptr<Piece>> failed;
  {
    const std::lock_guard lock(mutex_);
    fd_.reset();
    failed = std::move(unsent_);
    for (auto& piece : in_flight_) {
      failed.push_back(std::move(piece));
    }
    unsent_.clear();
    in_flight_.clear();
    unsent_wire_.clear();
    unsent_offset_ = 0;
  }
  receiving_ = Receiving::kHeader;
  header_got_ = 0;
  front_ = nullptr;
  for (const auto& piece : failed) {
    piece->transfer->fail(status, message);
    queued_bytes_ -= piece->bytes;
  }
}

}  // namespace disaggd::migration_tcp
