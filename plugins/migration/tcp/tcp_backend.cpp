// The `tcp` migration plugin: moves KV cache bytes over plain TCP. The prefill side listens and
// answers requests with bytes sent straight from its registered memory; the decode side pulls,
// receiving straight into the destination. See docs/migration-tcp.md.
#include <chrono>
#include <memory>
#include <string>

#include "disaggd/sdk/migration.hpp"
#include "endpoint.h"
#include "epoch.h"
#include "listener.h"
#include "region_registry.h"
#include "socket_util.h"
#include "tcp_options.h"
#include "tcp_peer.h"

namespace disaggd::migration_tcp {
namespace {

using sdk::Error;

class TcpBackend final : public sdk::MigrationBackend {
 public:
  TcpBackend(sdk::Options& options, sdk::Host host)
      : options_(parse_tcp_options(options)), epoch_(new_epoch()) {
    options.reject_unknown();  // Before the port is taken.
    listener_ = std::make_unique<Listener>(
        options_.host, options_.port,
        ServeContext{&regions_, options_.token, epoch_, options_.io_timeout});
    host.info("tcp migration listening on " + host_port(options_.host, listener_->port()) +
              ", advertised as " + host_port(options_.advertise_host, listener_->port()) +
              ", epoch " + epoch_text(epoch_) + (options_.token.empty() ? ", no token" : "") +
              ", " + std::to_string(options_.connections_per_peer) + " connections per peer");
  }

  uint64_t register_region(const sdk::MemoryRegion& region) override {
    if (region.kind != DISAGGD_MEMORY_HOST) {
      throw Error(DISAGGD_STATUS_UNSUPPORTED, "the tcp backend moves host memory only");
    }
    return regions_.add(region.base, region.length);
  }

  void deregister_region(uint64_t region_id) override { regions_.remove(region_id); }

  std::string local_endpoint() override {
    Endpoint endpoint;
    endpoint.addresses = {options_.advertise_host};
    endpoint.port = listener_->port();
    endpoint.epoch = epoch_;
    for (const auto& [id, length] : regions_.snapshot()) {
      endpoint.regions[id] = length;
    }
    return endpoint_to_json(endpoint);
  }

  std::unique_ptr<sdk::MigrationPeer> connect(std::string_view endpoint,
                                              std::chrono::milliseconds timeout) override {
    auto target = std::make_shared<PeerTarget>();
    target->endpoint = parse_endpoint(endpoint);
    target->token = options_.token;
    target->io_timeout = options_.io_timeout;
    return std::make_unique<TcpPeer>(std::move(target), options_.connections_per_peer,
                                     Clock::now() + timeout);
  }

  std::unique_ptr<sdk::MigrationTransfer> read(sdk::MigrationPeer& peer, const sdk::ReadOps& ops,
                                               std::chrono::milliseconds timeout) override {
    return static_cast<TcpPeer&>(peer).read(regions_, ops, timeout);
  }

 private:
  TcpOptions options_;
  uint64_t epoch_;
  RegionRegistry regions_;              ///< Outlives the listener, which sends from it.
  std::unique_ptr<Listener> listener_;  ///< Destroyed first: stops serving.
};

}  // namespace
}  // namespace disaggd::migration_tcp

DISAGGD_MIGRATION_PLUGIN(disaggd::migration_tcp::TcpBackend, "tcp", "0.1.0",
                         "Moves KV cache bytes over TCP: pull, zero-copy send and receive");
