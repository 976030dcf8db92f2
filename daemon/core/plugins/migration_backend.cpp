// Calling a migration plugin instance through its C vtable.
#include "core/plugins/migration_backend.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/plugins/plugin_call.h"

namespace disaggd::core {

struct MigrationPeer {
  disaggd_migration_peer* handle = nullptr;
};

struct MigrationTransfer {
  disaggd_migration_transfer* handle = nullptr;
};

namespace {

/// The ABI carries deadlines as uint32 milliseconds; longer ones are clamped, negative ones are 0.
uint32_t to_timeout_ms(std::chrono::milliseconds timeout) {
  const auto count = std::max<std::chrono::milliseconds::rep>(timeout.count(), 0);
  return static_cast<uint32_t>(
      std::min<std::chrono::milliseconds::rep>(count, std::numeric_limits<uint32_t>::max()));
}

/// Removes `key` from `handles` (under `mutex`) and returns it; null when it is not there.
template <class Handle>
std::unique_ptr<Handle> take(std::mutex& mutex,
                             std::unordered_map<Handle*, std::unique_ptr<Handle>>& handles,
                             Handle* key) {
  const std::lock_guard lock(mutex);
  const auto it = handles.find(key);
  if (it == handles.end()) {
    return nullptr;
  }
  std::unique_ptr<Handle> owned = std::move(it->second);
  handles.erase(it);
  return owned;
}

/// Runs a void plugin call; a plugin that throws from it broke the ABI: contain it rather than
/// terminate.
template <class Call>
void contain(Call&& call) {
  try {
    std::forward<Call>(call)();
  } catch (...) {
  }
}

}  // namespace

MigrationBackend::MigrationBackend(std::shared_ptr<PluginLibrary> library,
                                   const disaggd_migration_vtable* vtable)
    : library_(std::move(library)),
      vtable_(vtable),
      host_services_("migration/" + library_->info().name) {}

std::string MigrationBackend::call_name(const char* function) const {
  return library_->display_name() + ": " + function;
}

template <class Call>
Status MigrationBackend::call(const char* function, Call&& body) {
  disaggd_status returned = DISAGGD_STATUS_OK;
  Status status = call_plugin(call_name(function), [&](disaggd_string_sink* e) {
    returned = std::forward<Call>(body)(e);
    return returned;
  });
  if (returned == DISAGGD_STATUS_REMOTE_DISCONNECTED && !status.ok()) {
    return Status(StatusCode::kUnavailable, "the peer disconnected: " + status.message());
  }
  return status;
}

Result<std::unique_ptr<MigrationBackend>> MigrationBackend::create(
    std::shared_ptr<PluginLibrary> library, const PluginOptions& options) {
  if (library == nullptr || library->info().kind != PluginKind::kMigration) {
    return Status(StatusCode::kInvalidArgument,
                  library == nullptr ? "no plugin library"
                                     : library->display_name() + " is not a migration plugin");
  }
  const auto* vtable = static_cast<const disaggd_migration_vtable*>(library->vtable());
  std::unique_ptr<MigrationBackend> backend(new MigrationBackend(std::move(library), vtable));
  const AbiOptions abi_options(options);
  disaggd_migration_instance* instance = nullptr;
  DISAGGD_RETURN_IF_ERROR(backend->call("create", [&](disaggd_string_sink* e) {
    return vtable->create_fn(abi_options.data(), abi_options.size(), backend->host_services_.get(),
                             &instance, e);
  }));
  if (instance == nullptr) {
    return Status(StatusCode::kInternal,
                  backend->call_name("create") + ": returned OK but no instance");
  }
  backend->instance_ = instance;
  return backend;
}

MigrationBackend::~MigrationBackend() {
  if (instance_ == nullptr) {
    return;
  }
  contain([&] {
    for (auto& [handle, transfer] : transfers_) {
      vtable_->release_fn(instance_, transfer->handle);
    }
    for (auto& [handle, peer] : peers_) {
      vtable_->disconnect_fn(instance_, peer->handle);
    }
    vtable_->destroy_fn(instance_);
  });
}

Result<uint64_t> MigrationBackend::register_region(void* base, uint64_t length,
                                                   disaggd_memory_kind kind, int32_t device_id) {
  const disaggd_memory_region region{sizeof(disaggd_memory_region), base, length,
                                     static_cast<uint32_t>(kind), device_id};
  uint64_t id = 0;
  DISAGGD_RETURN_IF_ERROR(call("register_region", [&](disaggd_string_sink* e) {
    return vtable_->register_region_fn(instance_, &region, &id, e);
  }));
  return id;
}

Status MigrationBackend::deregister_region(uint64_t region_id) {
  return call("deregister_region", [&](disaggd_string_sink* e) {
    return vtable_->deregister_region_fn(instance_, region_id, e);
  });
}

Result<std::string> MigrationBackend::local_endpoint() {
  StringSink endpoint;
  DISAGGD_RETURN_IF_ERROR(call("local_endpoint", [&](disaggd_string_sink* e) {
    return vtable_->local_endpoint_fn(instance_, endpoint.get(), e);
  }));
  return endpoint.text();
}

Result<MigrationPeer*> MigrationBackend::connect(const std::string& endpoint_json,
                                                 std::chrono::milliseconds timeout) {
  auto peer = std::make_unique<MigrationPeer>();
  DISAGGD_RETURN_IF_ERROR(call("connect", [&](disaggd_string_sink* e) {
    return vtable_->connect_fn(instance_,
                               disaggd_string_view{endpoint_json.data(), endpoint_json.size()},
                               to_timeout_ms(timeout), &peer->handle, e);
  }));
  if (peer->handle == nullptr) {
    return Status(StatusCode::kInternal, call_name("connect") + ": returned OK but no peer");
  }
  MigrationPeer* raw = peer.get();
  const std::lock_guard lock(mutex_);
  peers_.emplace(raw, std::move(peer));
  return raw;
}

void MigrationBackend::disconnect(MigrationPeer* peer) {
  const std::unique_ptr<MigrationPeer> owned = take(mutex_, peers_, peer);
  if (owned != nullptr) {
    contain([&] { vtable_->disconnect_fn(instance_, owned->handle); });
  }
}

Result<MigrationTransfer*> MigrationBackend::read(MigrationPeer* peer,
                                                  std::span<const disaggd_migration_read_op> ops,
                                                  std::chrono::milliseconds timeout) {
  {
    const std::lock_guard lock(mutex_);
    if (peers_.count(peer) == 0) {
      return Status(StatusCode::kInvalidArgument, call_name("read") + ": unknown peer");
    }
  }
  auto transfer = std::make_unique<MigrationTransfer>();
  DISAGGD_RETURN_IF_ERROR(call("read", [&](disaggd_string_sink* e) {
    return vtable_->read_fn(instance_, peer->handle, ops.data(), ops.size(), to_timeout_ms(timeout),
                            &transfer->handle, e);
  }));
  if (transfer->handle == nullptr) {
    return Status(StatusCode::kInternal, call_name("read") + ": returned OK but no transfer");
  }
  MigrationTransfer* raw = transfer.get();
  const std::lock_guard lock(mutex_);
  transfers_.emplace(raw, std::move(transfer));
  return raw;
}

Result<bool> MigrationBackend::poll(MigrationTransfer* transfer) {
  bool in_progress = false;
  DISAGGD_RETURN_IF_ERROR(call("poll", [&](disaggd_string_sink* e) {
    const disaggd_status status = vtable_->poll_fn(instance_, transfer->handle, e);
    in_progress = status == DISAGGD_STATUS_IN_PROGRESS;
    return in_progress ? DISAGGD_STATUS_OK : status;
  }));
  return !in_progress;
}

void MigrationBackend::release(MigrationTransfer* transfer) {
  const std::unique_ptr<MigrationTransfer> owned = take(mutex_, transfers_, transfer);
  if (owned != nullptr) {
    contain([&] { vtable_->release_fn(instance_, owned->handle); });
  }
}

}  // namespace disaggd::core
