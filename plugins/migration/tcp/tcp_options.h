// The tcp migration plugin's options (node.migration_options), typed and range-checked.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "disaggd/sdk/options.hpp"

namespace disaggd::migration_tcp {

/// Everything the tcp plugin can be told; see docs/migration-tcp.md.
struct TcpOptions {
  std::string host = "127.0.0.1";  ///< Address the listener binds.
  uint16_t port = 0;               ///< Listener port; 0: an ephemeral one.
  std::string advertise_host;      ///< Address written into the endpoint; default: host.
  std::string token;               ///< Shared secret peers must present; empty: none.
  uint32_t connections_per_peer = 4;
  std::chrono::milliseconds io_timeout{10000};  ///< Longest wait for progress of any one step.
};

/// Reads the options; throws disaggd::sdk::Error naming the bad one. Unknown keys are refused by
/// the SDK afterwards.
TcpOptions parse_tcp_options(sdk::Options& options);

}  // namespace disaggd::migration_tcp
