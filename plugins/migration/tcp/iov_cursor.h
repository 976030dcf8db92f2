// A position in a list of memory ranges, for scatter/gather I/O (sendmsg, readv) that may stop
// anywhere: the ranges still to do, at most IOV_MAX at a time.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <vector>

namespace disaggd::migration_tcp {

/// Walks `ranges` (not owned; must outlive the cursor and stay unchanged).
class IovCursor {
 public:
  IovCursor() = default;
  explicit IovCursor(const std::vector<iovec>* ranges) : ranges_(ranges) {}

  /// True when every byte was done.
  bool done() const { return ranges_ == nullptr || index_ == ranges_->size(); }

  /// Writes up to `capacity` iovecs of what is left into `out`; returns how many.
  std::size_t window(iovec* out, std::size_t capacity) const {
    std::size_t n = 0;
    for (std::size_t i = index_; ranges_ != nullptr && i < ranges_->size() && n < capacity; ++i) {
      const iovec& range = (*ranges_)[i];
      const std::size_t skip = i == index_ ? offset_ : 0;
      out[n++] = iovec{static_cast<char*>(range.iov_base) + skip, range.iov_len - skip};
    }
    return n;
  }

  /// Marks `bytes` more as done.
  void advance(std::size_t bytes) {
    while (bytes > 0 && !done()) {
      const std::size_t left = (*ranges_)[index_].iov_len - offset_;
      if (bytes < left) {
        offset_ += bytes;
        return;
      }
      bytes -= left;
      ++index_;
      offset_ = 0;
    }
  }

 private:
  const std::vector<iovec>* ranges_ = nullptr;
  std::size_t index_ = 0;
  std::size_t offset_ = 0;
};

}  // namespace disaggd::migration_tcp
