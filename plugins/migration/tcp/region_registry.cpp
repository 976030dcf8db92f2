// Registered regions and their pins (see region_registry.h).
#include "region_registry.h"

#include <string>

#include "disaggd/sdk/error.hpp"

namespace disaggd::migration_tcp {

using sdk::Error;

struct RegionRegistry::Pins::Entry {
  uint64_t id = 0;
  uint8_t* base = nullptr;
  uint64_t length = 0;
  uint32_t serving = 0;    ///< Guarded by the registry's mutex.
  uint32_t transfers = 0;  ///< Guarded by the registry's mutex.
};

void check_in_region(const RegionRange& range, uint64_t region_length, const char* side) {
  if (range.offset > region_length || range.length > region_length - range.offset) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                std::string(side) + " range [" + std::to_string(range.offset) + ", " +
                    std::to_string(range.offset + range.length) + ") is outside region " +
                    std::to_string(range.region) + " of " + std::to_string(region_length) +
                    " bytes");
  }
}

RegionRegistry::Pins& RegionRegistry::Pins::operator=(Pins&& other) noexcept {
  if (this != &other) {
    reset();
    registry_ = other.registry_;
    kind_ = other.kind_;
    entries_ = std::move(other.entries_);
    other.entries_.clear();
  }
  return *this;
}

void RegionRegistry::Pins::reset() {
  if (registry_ != nullptr && !entries_.empty()) {
    registry_->unpin(entries_, kind_);
  }
  entries_.clear();
}

uint64_t RegionRegistry::add(void* base, uint64_t length) {
  const std::lock_guard lock(mutex_);
  auto entry = std::make_shared<Pins::Entry>();
  entry->id = next_id_++;
  entry->base = static_cast<uint8_t*>(base);
  entry->length = length;
  regions_.emplace(entry->id, entry);
  return entry->id;
}

void RegionRegistry::remove(uint64_t id) {
  std::unique_lock lock(mutex_);
  const auto it = regions_.find(id);
  if (it == regions_.end()) {
    throw Error(DISAGGD_STATUS_NOT_FOUND, "region " + std::to_string(id) + " is not registered");
  }
  const std::shared_ptr<Pins::Entry> entry = it->second;
  if (entry->transfers > 0) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                "region " + std::to_string(id) + " is the destination of " +
                    std::to_string(entry->transfers) + " unreleased transfer(s)");
  }
  regions_.erase(it);
  // Sends from it finish or fail within the I/O timeout; after that nothing reads the memory.
  unpinned_.wait(lock, [&] { return entry->serving == 0; });
}

std::vector<std::pair<uint64_t, uint64_t>> RegionRegistry::snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::pair<uint64_t, uint64_t>> regions;
  for (const auto& [id, entry] : regions_) {
    regions.emplace_back(id, entry->length);
  }
  return regions;
}

RegionRegistry::Pins RegionRegistry::pin(const std::vector<RegionRange>& ranges, PinKind kind,
                                         std::vector<uint8_t*>* addresses) {
  Pins pins;  // Unpins nothing until registry_ is set, after every count was raised.
  pins.kind_ = kind;
  addresses->clear();
  addresses->reserve(ranges.size());
  const std::lock_guard lock(mutex_);
  const Pins::Entry* last = nullptr;
  for (const RegionRange& range : ranges) {
    if (last == nullptr || last->id != range.region) {
      const auto it = regions_.find(range.region);
      if (it == regions_.end()) {
        throw Error(DISAGGD_STATUS_NOT_FOUND,
                    "region " + std::to_string(range.region) + " is not registered");
      }
      last = it->second.get();
      bool seen = false;
      for (const auto& entry : pins.entries_) {
        seen = seen || entry.get() == last;
      }
      if (!seen) {
        pins.entries_.push_back(it->second);
      }
    }
    check_in_region(range, last->length, kind == PinKind::kServing ? "remote" : "local");
    addresses->push_back(last->base + range.offset);
  }
  for (const auto& entry : pins.entries_) {
    ++(kind == PinKind::kServing ? entry->serving : entry->transfers);
  }
  pins.registry_ = this;
  return pins;
}

void RegionRegistry::unpin(const std::vector<std::shared_ptr<Pins::Entry>>& entries, PinKind kind) {
  {
    const std::lock_guard lock(mutex_);
    for (const auto& entry : entries) {
      --(kind == PinKind::kServing ? entry->serving : entry->transfers);
    }
  }
  unpinned_.notify_all();
}

}  // namespace disaggd::migration_tcp
