// The endpoint JSON of a tcp migration instance (the format disaggd/migration.h describes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace disaggd::migration_tcp {

/// What a decode side needs to reach a listener and check ranges before sending them.
struct Endpoint {
  std::vector<std::string> addresses;  ///< Tried in order.
  uint16_t port = 0;
  uint64_t epoch = 0;
  std::map<uint64_t, uint64_t> regions;  ///< id → length.
};

/// The JSON text of `endpoint` ("plugin": "tcp", "protocol": 1, addresses, port, epoch, regions).
std::string endpoint_to_json(const Endpoint& endpoint);
/// Parses JSON written by endpoint_to_json(); throws Error(INVALID_ARGUMENT) naming the problem.
Endpoint parse_endpoint(std::string_view json);

}  // namespace disaggd::migration_tcp
