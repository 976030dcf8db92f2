// The endpoint JSON of a tcp migration instance (see endpoint.h).
#include "endpoint.h"

#include <nlohmann/json.hpp>

#include "disaggd/sdk/error.hpp"
#include "epoch.h"
#include "wire_format.h"

namespace disaggd::migration_tcp {
namespace {

using sdk::Error;

[[noreturn]] void invalid(const std::string& why) {
  throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "bad tcp migration endpoint: " + why);
}

}  // namespace

std::string endpoint_to_json(const Endpoint& endpoint) {
  nlohmann::json regions = nlohmann::json::array();
  for (const auto& [id, length] : endpoint.regions) {
    regions.push_back({{"id", id}, {"length", length}, {"kind", "host"}});
  }
  const nlohmann::json json = {{"plugin", "tcp"},
                               {"protocol", kProtocolVersion},
                               {"addresses", endpoint.addresses},
                               {"port", endpoint.port},
                               {"epoch", epoch_text(endpoint.epoch)},
                               {"regions", regions}};
  return json.dump();
}

Endpoint parse_endpoint(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    invalid("not a JSON object");
  }
  if (json.value("plugin", "") != "tcp") {
    invalid("written by plugin '" + json.value("plugin", "") + "', not 'tcp'");
  }
  if (!json.contains("protocol") || !json["protocol"].is_number_unsigned() ||
      json["protocol"].get<uint64_t>() != kProtocolVersion) {
    invalid("protocol is not " + std::to_string(kProtocolVersion));
  }
  Endpoint endpoint;
  if (!json.contains("addresses") || !json["addresses"].is_array() || json["addresses"].empty()) {
    invalid("no addresses");
  }
  for (const auto& address : json["addresses"]) {
    if (!address.is_string() || address.get<std::string>().empty()) {
      invalid("an address is not a non-empty string");
    }
    endpoint.addresses.push_back(address.get<std::string>());
  }
  if (!json.contains("port") || !json["port"].is_number_unsigned() ||
      json["port"].get<uint64_t>() == 0 || json["port"].get<uint64_t>() > 65535) {
    invalid("port is not 1 to 65535");
  }
  endpoint.port = json["port"].get<uint16_t>();
  const auto epoch = json.contains("epoch") && json["epoch"].is_string()
                         ? parse_epoch(json["epoch"].get<std::string>())
                         : std::nullopt;
  if (!epoch) {
    invalid("epoch is not 16 hex digits");
  }
  endpoint.epoch = *epoch;
  if (!json.contains("regions") || !json["regions"].is_array()) {
    invalid("no regions array");
  }
  for (const auto& region : json["regions"]) {
    if (!region.is_object() || !region.contains("id") || !region["id"].is_number_unsigned() ||
        !region.contains("length") || !region["length"].is_number_unsigned()) {
      invalid("a region lacks an unsigned id or length");
    }
    endpoint.regions[region["id"].get<uint64_t>()] = region["length"].get<uint64_t>();
  }
  return endpoint;
}

}  // namespace disaggd::migration_tcp
