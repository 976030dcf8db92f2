// The tcp migration plugin's options (see tcp_options.h).
#include "tcp_options.h"

#include "disaggd/sdk/error.hpp"

namespace disaggd::migration_tcp {

TcpOptions parse_tcp_options(sdk::Options& options) {
  TcpOptions parsed;
  parsed.host = options.get_string("host", parsed.host);
  if (parsed.host.empty()) {
    throw sdk::Error(DISAGGD_STATUS_INVALID_ARGUMENT, "option 'host' must not be empty");
  }
  parsed.port = static_cast<uint16_t>(options.get_int("port", 0, 0, 65535));
  parsed.advertise_host = options.get_string("advertise_host", parsed.host);
  if (parsed.advertise_host == "0.0.0.0" || parsed.advertise_host == "::" ||
      parsed.advertise_host.empty()) {
    throw sdk::Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                     "option 'advertise_host' must name an address peers can reach (the listener "
                     "binds '" +
                         parsed.host + "')");
  }
  parsed.token = options.get_string("token", "");
  parsed.connections_per_peer =
      static_cast<uint32_t>(options.get_int("connections_per_peer", 4, 1, 64));
  parsed.io_timeout =
      std::chrono::milliseconds(options.get_int("io_timeout_ms", 10000, 1, 3600 * 1000));
  return parsed;
}

}  // namespace disaggd::migration_tcp
