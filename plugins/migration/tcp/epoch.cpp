// Epochs of tcp migration instances (see epoch.h).
#include "epoch.h"

#include <unistd.h>

#include <chrono>
#include <random>

namespace disaggd::migration_tcp {

uint64_t new_epoch() {
  std::random_device device;
  uint64_t value = (uint64_t{device()} << 32) ^ device();
  value ^= static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  value ^= static_cast<uint64_t>(getpid()) << 48;
  // splitmix64 finaliser: spreads the mixed inputs over every bit.
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  value ^= value >> 31;
  return value == 0 ? 1 : value;
}

std::string epoch_text(uint64_t epoch) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i) {
    text[static_cast<std::size_t>(i)] = kDigits[epoch & 0xf];
    epoch >>= 4;
  }
  return text;
}

std::optional<uint64_t> parse_epoch(std::string_view text) {
  if (text.size() != 16) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (const char c : text) {
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    value = (value << 4) | digit;
  }
  return value;
}

}  // namespace disaggd::migration_tcp
