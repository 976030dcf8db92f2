// MappedFile: a whole file mapped read-only into memory, unmapped when the last owner goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "core/status.h"

namespace disaggd::engine {

/// A regular file mapped read-only (`mmap`, `MAP_PRIVATE`). Movable, not copyable; the mapping
/// lives until the object is destroyed, and moving it keeps every pointer into it valid.
///
/// The mapping reflects the file as it was opened: a file truncated by another process while
/// mapped makes reads past the new end fault (SIGBUS), as with every mmap-based loader. Model
/// files are not rewritten in place, so this is accepted.
class MappedFile {
 public:
  /// Maps `path`. kNotFound when it does not exist; kInvalidArgument when it is not a regular
  /// file; kInternal for other system errors. An empty file maps to an empty span.
  static core::Result<MappedFile> open(const std::filesystem::path& path);

  /// A heap copy of `bytes` of exactly their size, named `path` in messages. Lets tests feed
  /// damaged files to the parsers with AddressSanitizer watching every byte (a real mapping
  /// ends on a page boundary, so a small overread of it would go unnoticed).
  static MappedFile copy_of(std::span<const uint8_t> bytes, std::filesystem::path path);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// The file's bytes.
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void reset() noexcept;

  std::filesystem::path path_;
  std::unique_ptr<uint8_t[]> copy_;  ///< Set for copy_of(); then data_ points into it.
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace disaggd::engine
