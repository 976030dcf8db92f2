// The tcp migration protocol on the wire: fixed 24-byte frames (little-endian) and 24-byte range
// descriptors. See docs/migration-tcp.md for the exchange.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace disaggd::migration_tcp {

/// Version carried in the hello; a listener refuses any other.
inline constexpr uint64_t kProtocolVersion = 1;
/// Bytes of every frame and of every range descriptor.
inline constexpr std::size_t kFrameBytes = 24;
inline constexpr std::size_t kRangeBytes = 24;
/// Limits a listener enforces before allocating anything for a peer.
inline constexpr uint32_t kMaxTokenBytes = 4096;
inline constexpr uint32_t kMaxRangesPerRequest = 1024;
inline constexpr uint64_t kMaxMessageBytes = 64 * 1024;

/// What a frame is; the first four bytes of every frame.
enum class FrameType : uint32_t {
  kHello = 0x4c454844,  ///< decode → prefill: a = token bytes, b = expected epoch, c = version.
  kHelloReply = 0x50524844,  ///< prefill → decode: a = status, b = own epoch, c = message bytes.
  kRequest = 0x51524844,     ///< decode → prefill: a = ranges, b = request id, c = total bytes.
  kResponse = 0x53524844,    ///< prefill → decode: a = status, b = request id, c = payload bytes.
};

/// One frame; what a, b and c mean depends on the type (see FrameType). The hello is followed by
/// the token, the hello reply and an error response by a message, a request by its ranges, an OK
/// response by the requested bytes in request order.
struct Frame {
  FrameType type = FrameType::kHello;
  uint32_t a = 0;
  uint64_t b = 0;
  uint64_t c = 0;
};

/// One range of a request: `length` bytes of the listener's region `region` at `offset`.
struct WireRange {
  uint64_t region = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

using FrameBytes = std::array<uint8_t, kFrameBytes>;

FrameBytes encode_frame(const Frame& frame);
/// Decodes a frame; false when the magic is not a known frame type.
bool decode_frame(const uint8_t* bytes, Frame* out);

void encode_range(const WireRange& range, uint8_t* out);
WireRange decode_range(const uint8_t* bytes);

}  // namespace disaggd::migration_tcp
