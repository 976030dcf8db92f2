// SafetensorsFile: one memory-mapped .safetensors file, validated completely before use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "disaggd/model.h"
#include "engine/model/mapped_file.h"

namespace disaggd::engine {

/// One tensor of a safetensors file. `data` points into the file's mapping and stays valid while
/// the SafetensorsFile (or the WeightStore holding it) lives. The data is dense and row-major;
/// its address is not necessarily aligned to the element size (files written by the safetensors
/// library are 8-byte aligned, hand-made ones may not be), so read it with memcpy or copy it.
struct TensorInfo {
  std::string name;                         ///< Tensor name, e.g. "model.norm.weight".
  disaggd_dtype dtype = DISAGGD_DTYPE_F32;  ///< Element type.
  std::vector<int64_t> shape;               ///< Sizes, outermost first; empty for a scalar.
  const uint8_t* data = nullptr;            ///< First byte (inside the mapping).
  std::size_t byte_size = 0;                ///< product(shape) * element size.
  uint64_t offset = 0;                      ///< First byte, relative to the data section.
  std::filesystem::path file;               ///< The file it lives in.

  /// Number of elements (product of the shape; 1 for a scalar).
  int64_t numel() const;
};

/// A safetensors file (an 8-byte little-endian header length, a JSON header, then the data
/// section), mapped read-only. `open` validates the whole header before any tensor is exposed:
///
/// - the file holds at least the 8-byte length, and the header fits inside the file and is at
///   most kMaxHeaderBytes;
/// - the header is a JSON object without duplicate keys; "__metadata__", when present, maps
///   strings to strings;
/// - every other entry is an object with "dtype" (F32, F16, BF16, I32, I64 or U8), "shape"
///   (non-negative integers) and "data_offsets" [begin, end] with begin <= end <= size of the
///   data section and end - begin == product(shape) * element size;
/// - no two tensors share a byte.
///
/// Every error names the file, and the tensor where one is concerned. Gaps between tensors are
/// allowed. Movable, not copyable.
class SafetensorsFile {
 public:
  /// Largest header accepted (the safetensors library uses the same limit).
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

  /// Maps and validates `path`. kNotFound when the file does not exist, kUnsupported for a
  /// tensor of an unsupported dtype, kInvalidArgument for every other defect.
  static core::Result<SafetensorsFile> open(const std::filesystem::path& path);

  /// Validates the bytes of `file` (mapped, or a MappedFile::copy_of) as open() does, and takes
  /// ownership of them.
  static core::Result<SafetensorsFile> parse(MappedFile file);

  SafetensorsFile(SafetensorsFile&&) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile() = default;

  const std::filesystem::path& path() const { return file_.path(); }
  /// Every tensor, in the order of its data in the file (then by name for empty tensors).
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  /// The tensor named `name`, or nullptr.
  const TensorInfo* find(std::string_view name) const;
  /// The "__metadata__" entries (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Bytes of the JSON header (without the 8-byte length).
  uint64_t header_size() const { return header_size_; }

 private:
  SafetensorsFile() = default;

  MappedFile file_;
  uint64_t header_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace disaggd::engine
