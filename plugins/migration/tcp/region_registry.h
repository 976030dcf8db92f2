// The regions an instance registered, and pins that keep a region from being deregistered while a
// listener sends from it or an unreleased transfer writes into it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace disaggd::migration_tcp {

/// A range of a region by id: `length` bytes at `offset`.
struct RegionRange {
  uint64_t region = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// Throws Error(INVALID_ARGUMENT) naming `side` ("local", "remote") unless the range lies inside a
/// region of `region_length` bytes.
void check_in_region(const RegionRange& range, uint64_t region_length, const char* side);

/// Registered host memory by id. Thread-safe.
class RegionRegistry {
 public:
  /// Why a region is pinned: a send in progress (deregistration waits for it) or an unreleased
  /// transfer writing into it (deregistration is refused).
  enum class PinKind { kServing, kTransfer };

  /// Keeps the regions of one pin() call registered; unpins on destruction. Move-only.
  class Pins {
   public:
    Pins() = default;
    Pins(Pins&& other) noexcept = default;
    Pins& operator=(Pins&& other) noexcept;
    Pins(const Pins&) = delete;
    Pins& operator=(const Pins&) = delete;
    ~Pins() { reset(); }
    void reset();

   private:
    friend class RegionRegistry;
    struct Entry;
    RegionRegistry* registry_ = nullptr;
    PinKind kind_ = PinKind::kServing;
    std::vector<std::shared_ptr<Entry>> entries_;
  };

  RegionRegistry() = default;
  RegionRegistry(const RegionRegistry&) = delete;
  RegionRegistry& operator=(const RegionRegistry&) = delete;

  /// Registers `length` bytes at `base`; returns the new id (1, 2, ...).
  uint64_t add(void* base, uint64_t length);
  /// Forgets a region: NOT_FOUND for an unknown id, INVALID_ARGUMENT while a transfer pin holds
  /// it; waits for serving pins to go away.
  void remove(uint64_t id);
  /// (id, length) of every region, by id.
  std::vector<std::pair<uint64_t, uint64_t>> snapshot() const;

  /// Checks every range (NOT_FOUND: unknown region; INVALID_ARGUMENT: outside it), writes the
  /// address of each range's first byte to `addresses` (same order) and pins the regions.
  Pins pin(const std::vector<RegionRange>& ranges, PinKind kind, std::vector<uint8_t*>* addresses);

 private:
  void unpin(const std::vector<std::shared_ptr<Pins::Entry>>& entries, PinKind kind);

  mutable std::mutex mutex_;
  std::condition_variable unpinned_;
  std::map<uint64_t, std::shared_ptr<Pins::Entry>> regions_;
  uint64_t next_id_ = 1;
};

}  // namespace disaggd::migration_tcp
