// The hello of a tcp migration connection (see handshake.h).
#include "handshake.h"

#include <exception>
#include <vector>

#include "disaggd/sdk/error.hpp"
#include "epoch.h"
#include "wire_format.h"

namespace disaggd::migration_tcp {
namespace {

using sdk::Error;

void send_reply(int fd, disaggd_status status, uint64_t epoch, const std::string& message,
                Deadline deadline) {
  const FrameBytes frame = encode_frame(
      Frame{FrameType::kHelloReply, static_cast<uint32_t>(status), epoch, message.size()});
  send_exactly(fd, frame.data(), frame.size(), deadline, "hello reply");
  send_exactly(fd, message.data(), message.size(), deadline, "hello reply");
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference = static_cast<unsigned char>(difference | (x ^ y));
  }
  return difference == 0;
}

void client_handshake(int fd, const std::string& token, uint64_t expected_epoch, Deadline deadline,
                      const std::string& where) {
  try {
    const FrameBytes hello = encode_frame(Frame{
        FrameType::kHello, static_cast<uint32_t>(token.size()), expected_epoch, kProtocolVersion});
    send_exactly(fd, hello.data(), hello.size(), deadline, "hello");
    send_exactly(fd, token.data(), token.size(), deadline, "hello");
    FrameBytes bytes{};
    recv_exactly(fd, bytes.data(), bytes.size(), deadline, "hello reply");
    Frame reply;
    if (!decode_frame(bytes.data(), &reply) || reply.type != FrameType::kHelloReply ||
        reply.c > kMaxMessageBytes) {
      throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED,
                  "the listener does not speak the disaggd tcp migration protocol");
    }
    std::string message(reply.c, '\0');
    recv_exactly(fd, message.data(), message.size(), deadline, "hello reply");
    const auto status = static_cast<disaggd_status>(reply.a);
    if (status != DISAGGD_STATUS_OK) {
      throw Error(status == DISAGGD_STATUS_IN_PROGRESS ? DISAGGD_STATUS_INTERNAL : status,
                  "refused the connection: " + message);
    }
    if (reply.b != expected_epoch) {
      throw Error(DISAGGD_STATUS_REMOTE_DISCONNECTED, "accepted with epoch " + epoch_text(reply.b) +
                                                          ", expected " +
                                                          epoch_text(expected_epoch));
    }
  } catch (const Error& e) {
    throw Error(e.status(), where + ": " + e.what());
  }
}

bool serve_handshake(int fd, const std::string& token, uint64_t epoch, Deadline deadline) {
  try {
    FrameBytes bytes{};
    recv_exactly(fd, bytes.data(), bytes.size(), deadline, "hello");
    Frame hello;
    if (!decode_frame(bytes.data(), &hello) || hello.type != FrameType::kHello) {
      return false;  // Not our protocol: say nothing.
    }
    if (hello.c != kProtocolVersion) {
      send_reply(fd, DISAGGD_STATUS_UNSUPPORTED, 0,
                 "protocol version " + std::to_string(hello.c) + " (this listener speaks " +
                     std::to_string(kProtocolVersion) + ")",
                 deadline);
      return false;
    }
    if (hello.a > kMaxTokenBytes) {
      send_reply(fd, DISAGGD_STATUS_INVALID_ARGUMENT, 0, "token refused", deadline);
      return false;
    }
    std::string presented(hello.a, '\0');
    recv_exactly(fd, presented.data(), presented.size(), deadline, "hello");
    if (!token.empty() && !constant_time_equal(presented, token)) {
      send_reply(fd, DISAGGD_STATUS_INVALID_ARGUMENT, 0, "token refused", deadline);
      return false;
    }
    if (hello.b != epoch) {
      send_reply(fd, DISAGGD_STATUS_REMOTE_DISCONNECTED, epoch,
                 "the listener restarted: its epoch is " + epoch_text(epoch) + ", the endpoint's " +
                     epoch_text(hello.b) + "; fetch its endpoint again",
                 deadline);
      return false;
    }
    send_reply(fd, DISAGGD_STATUS_OK, epoch, "", deadline);
    return true;
  } catch (const std::exception&) {
    return false;  // A peer that times out or hangs up during its hello is simply dropped.
  }
}

}  // namespace disaggd::migration_tcp
