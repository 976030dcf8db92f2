// The listener's side of one tcp migration connection (see serve_connection.h).
#include "serve_connection.h"

#include <limits.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <exception>
#include <vector>

#include "disaggd/sdk/error.hpp"
#include "handshake.h"
#include "iov_cursor.h"
#include "socket_util.h"
#include "wire_format.h"

namespace disaggd::migration_tcp {
namespace {

using sdk::Error;

/// Sends every byte of `iov`, waiting at most io_timeout for each bit of progress.
void send_all(int fd, const std::vector<iovec>& iov, std::chrono::milliseconds io_timeout) {
  IovCursor cursor(&iov);
  iovec window[IOV_MAX];
  while (!cursor.done()) {
    msghdr message{};
    message.msg_iov = window;
    message.msg_iovlen = cursor.window(window, IOV_MAX);
    const ssize_t n = sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n > 0) {
      cursor.advance(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, Clock::now() + io_timeout)) {
        throw Error(DISAGGD_STATUS_TIMEOUT, "response: timed out");
      }
    } else if (n < 0 && errno != EINTR) {
      throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED, "response: " + error_text(errno));
    }
  }
}

void send_error(int fd, uint64_t request_id, const Error& error,
                std::chrono::milliseconds io_timeout) {
  const std::string message = error.what();
  const FrameBytes frame = encode_frame(Frame{
      FrameType::kResponse, static_cast<uint32_t>(error.status()), request_id, message.size()});
  const std::vector<iovec> iov = {iovec{const_cast<uint8_t*>(frame.data()), frame.size()},
                                  iovec{const_cast<char*>(message.data()), message.size()}};
  send_all(fd, iov, io_timeout);
}

/// Reads one request's ranges; throws on a malformed request (the connection is then dropped).
std::vector<RegionRange> read_ranges(int fd, const Frame& request, Deadline deadline) {
  if (request.type != FrameType::kRequest || request.a == 0 || request.a > kMaxRangesPerRequest) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "malformed request");
  }
  std::vector<uint8_t> bytes(std::size_t{request.a} * kRangeBytes);
  recv_exactly(fd, bytes.data(), bytes.size(), deadline, "request");
  std::vector<RegionRange> ranges(request.a);
  uint64_t total = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const WireRange range = decode_range(bytes.data() + i * kRangeBytes);
    if (range.length == 0 || range.length > request.c - total) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "malformed request");
    }
    total += range.length;
    ranges[i] = RegionRange{range.region, range.offset, range.length};
  }
  if (total != request.c) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "malformed request");
  }
  return ranges;
}

void serve_requests(int fd, const ServeContext& context) {
  std::vector<uint8_t*> addresses;
  std::vector<iovec> iov;
  while (true) {
    // An idle connection waits for its next request as long as it likes.
    wait_for(fd, POLLIN, Deadline::max());
    const Deadline deadline = Clock::now() + context.io_timeout;
    FrameBytes bytes{};
    recv_exactly(fd, bytes.data(), bytes.size(), deadline, "request");
    Frame request;
    if (!decode_frame(bytes.data(), &request)) {
      return;
    }
    const std::vector<RegionRange> ranges = read_ranges(fd, request, deadline);
    RegionRegistry::Pins pins;
    try {
      pins = context.regions->pin(ranges, RegionRegistry::PinKind::kServing, &addresses);
    } catch (const Error& e) {
      send_error(fd, request.b, e, context.io_timeout);
      continue;
    }
    const FrameBytes header =
        encode_frame(Frame{FrameType::kResponse, DISAGGD_STATUS_OK, request.b, request.c});
    iov.clear();
    iov.push_back(iovec{const_cast<uint8_t*>(header.data()), header.size()});
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      iov.push_back(iovec{addresses[i], ranges[i].length});
    }
    send_all(fd, iov, context.io_timeout);
  }
}

}  // namespace

void serve_connection(int fd, const ServeContext& context) {
  try {
    if (serve_handshake(fd, context.token, context.epoch, Clock::now() + context.io_timeout)) {
      serve_requests(fd, context);
    }
  } catch (const std::exception&) {
    // The peer hung up, stalled or sent garbage: dropping the connection is the answer.
  }
}

}  // namespace disaggd::migration_tcp
