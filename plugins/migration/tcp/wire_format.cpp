// Encoding of the tcp migration protocol's frames and ranges (see wire_format.h).
#include "wire_format.h"

namespace disaggd::migration_tcp {
namespace {

template <class T>
void put(uint8_t* out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

template <class T>
T get(const uint8_t* bytes) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(bytes[i]) << (8 * i);
  }
  return value;
}

}  // namespace

FrameBytes encode_frame(const Frame& frame) {
  FrameBytes bytes{};
  put(bytes.data(), static_cast<uint32_t>(frame.type));
  put(bytes.data() + 4, frame.a);
  put(bytes.data() + 8, frame.b);
  put(bytes.data() + 16, frame.c);
  return bytes;
}

bool decode_frame(const uint8_t* bytes, Frame* out) {
  const auto type = static_cast<FrameType>(get<uint32_t>(bytes));
  switch (type) {
    case FrameType::kHello:
    case FrameType::kHelloReply:
    case FrameType::kRequest:
    case FrameType::kResponse:
      break;
    default:
      return false;
  }
  out->type = type;
  out->a = get<uint32_t>(bytes + 4);
  out->b = get<uint64_t>(bytes + 8);
  out->c = get<uint64_t>(bytes + 16);
  return true;
}

void encode_range(const WireRange& range, uint8_t* out) {
  put(out, range.region);
  put(out + 8, range.offset);
  put(out + 16, range.length);
}

WireRange decode_range(const uint8_t* bytes) {
  return WireRange{get<uint64_t>(bytes), get<uint64_t>(bytes + 8), get<uint64_t>(bytes + 16)};
}

}  // namespace disaggd::migration_tcp
