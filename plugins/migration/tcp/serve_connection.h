// The listener's side of one tcp migration connection: the hello, then requests answered with the
// bytes straight from registered memory (sendmsg over the region, no copy in user space).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "region_registry.h"

namespace disaggd::migration_tcp {

/// What a served connection needs from its instance; outlives every connection.
struct ServeContext {
  RegionRegistry* regions = nullptr;
  std::string token;  ///< Empty: peers need none.
  uint64_t epoch = 0;
  std::chrono::milliseconds io_timeout{10000};
};

/// Serves the accepted non-blocking socket `fd` until the peer closes it, it breaks, a step makes
/// no progress for io_timeout, or it is shut down. Never throws; does not close `fd`.
void serve_connection(int fd, const ServeContext& context);

}  // namespace disaggd::migration_tcp
