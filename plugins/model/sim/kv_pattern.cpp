// The KV byte pattern (see kv_pattern.h).
#include "kv_pattern.h"

#include <cstring>

namespace disaggd::sim_backend {
namespace {

/// Bits kept from the random word and bits forced on, per element lane: sign, the low three
/// exponent bits and the mantissa are random; the exponent's top bit is 0 and the next four are 1,
/// so the exponent is bias-7 ... bias and the value lies in [2^-7, 2) in magnitude.
struct LaneMasks {
  uint64_t keep;
  uint64_t set;
};

constexpr LaneMasks masks(disaggd_dtype dtype) {
  switch (dtype) {
    case DISAGGD_DTYPE_F32:  // s eeeeeeee m*23
      return {0x83FFFFFF83FFFFFFULL, 0x3C0000003C000000ULL};
    case DISAGGD_DTYPE_F16:  // s eeeee m*10
      return {0x9FFF9FFF9FFF9FFFULL, 0x2000200020002000ULL};
    default:  // BF16: s eeeeeeee m*7
      return {0x83FF83FF83FF83FFULL, 0x3C003C003C003C00ULL};
  }
}

}  // namespace

uint64_t slot_word(uint64_t key, std::size_t index, disaggd_dtype dtype) {
  const LaneMasks m = masks(dtype);
  const uint64_t random = mix64(key + (static_cast<uint64_t>(index) + 1) * 0x9E3779B97F4A7C15ULL);
  return (random & m.keep) | m.set;
}

void fill_slot(uint8_t* out, std::size_t bytes, uint64_t key, disaggd_dtype dtype) {
  std::size_t index = 0;
  for (; (index + 1) * 8 <= bytes; ++index) {
    const uint64_t word = slot_word(key, index, dtype);
    std::memcpy(out + index * 8, &word, 8);
  }
  if (index * 8 < bytes) {
    const uint64_t word = slot_word(key, index, dtype);
    std::memcpy(out + index * 8, &word, bytes - index * 8);
  }
}

}  // namespace disaggd::sim_backend
