// Epochs: a number that differs every time a tcp migration instance starts, so peers can tell a
// restarted listener from the one their endpoint describes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace disaggd::migration_tcp {

/// A new random, nonzero epoch (random device, clock and process id mixed).
uint64_t new_epoch();
/// 16 lower-case hex digits, as the endpoint JSON carries it.
std::string epoch_text(uint64_t epoch);
/// The epoch of `text` (exactly 16 hex digits), or nothing.
std::optional<uint64_t> parse_epoch(std::string_view text);

}  // namespace disaggd::migration_tcp
