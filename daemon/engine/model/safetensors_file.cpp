// SafetensorsFile: parses and checks the header against the mapped bytes, never reading past them.
#include "engine/model/safetensors_file.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "engine/common/json_file.h"
#include "engine/model/tensor_dtype.h"

namespace disaggd::engine {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;
using nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";

Status invalid(const std::filesystem::path& path, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, path.string() + ": " + message);
}

Status tensor_error(const std::filesystem::path& path, std::string_view name,
                    const std::string& message, StatusCode code = StatusCode::kInvalidArgument) {
  return Status(code, path.string() + ": tensor \"" + std::string(name) + "\": " + message);
}

/// The value as a non-negative integer, or nothing (negative numbers, fractions, other types).
std::optional<uint64_t> as_count(const json& value) {
  if (value.is_number_unsigned()) {
    return value.get<uint64_t>();
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  return std::nullopt;
}

/// Reads the header's JSON; records the first duplicate key of the top-level object, which
/// nlohmann would otherwise silently resolve to the last occurrence.
Result<json> parse_header(const std::filesystem::path& path, const uint8_t* begin,
                          const uint8_t* end) {
  std::set<std::string> keys;
  std::string duplicate;
  const json::parser_callback_t track_keys = [&](int depth, json::parse_event_t event,
                                                 json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys.insert(key).second && duplicate.empty()) {
        duplicate = key;
      }
    }
    return true;
  };
  json header;
  try {
    header = json::parse(begin, end, track_keys);
  } catch (const json::exception& e) {
    return invalid(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) {
    return invalid(path, "header is not a JSON object but " + json_excerpt(header));
  }
  if (!duplicate.empty()) {
    return invalid(path, "header names \"" + duplicate + "\" twice");
  }
  return header;
}

Status parse_metadata(const std::filesystem::path& path, const json& value,
                      std::map<std::string, std::string>& out) {
  if (!value.is_object()) {
    return invalid(path, "__metadata__: expected an object of strings, got " + json_excerpt(value));
  }
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) {
      return invalid(
          path, "__metadata__: \"" + key + "\": expected a string, got " + json_excerpt(entry));
    }
    out.emplace(key, entry.get<std::string>());
  }
  return Status();
}

/// Checks one header entry and fills `out` (except `data`, set once every entry is known).
Status parse_tensor(const std::filesystem::path& path, const std::string& name, const json& entry,
                    uint64_t data_size, TensorInfo& out) {
  if (!entry.is_object()) {
    return tensor_error(
        path, name,
        "expected an object with dtype, shape and data_offsets, got " + json_excerpt(entry));
  }
  const auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) {
    return tensor_error(
        path, name,
        "dtype: expected a string such as \"F32\", got " +
            (dtype_it == entry.end() ? std::string("nothing") : json_excerpt(*dtype_it)));
  }
  const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
  const std::optional<disaggd_dtype> dtype = dtype_from_safetensors(dtype_name);
  if (!dtype) {
    return tensor_error(path, name,
                        "unsupported dtype \"" + dtype_name +
                            "\" (supported: " + std::string(kSupportedSafetensorsDtypes) + ")",
                        StatusCode::kUnsupported);
  }

  const auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) {
    return tensor_error(
        path, name,
        "shape: expected an array of non-negative integers, got " +
            (shape_it == entry.end() ? std::string("nothing") : json_excerpt(*shape_it)));
  }
  uint64_t elements = 1;
  bool overflow = false;
  std::vector<int64_t> shape;
  for (const json& dim : *shape_it) {
    const std::optional<uint64_t> size = as_count(dim);
    if (!size || *size > static_cast<uint64_t>(INT64_MAX)) {
      return tensor_error(
          path, name,
          "shape: expected an array of non-negative integers, got " + json_excerpt(*shape_it));
    }
    shape.push_back(static_cast<int64_t>(*size));
    overflow = overflow || __builtin_mul_overflow(elements, *size, &elements);
  }
  uint64_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(elements, dtype_size(*dtype), &bytes);
  if (overflow) {
    return tensor_error(path, name, "shape " + json_excerpt(*shape_it) + " is too large");
  }

  const auto offsets_it = entry.find("data_offsets");
  std::optional<uint64_t> begin;
  std::optional<uint64_t> end;
  if (offsets_it != entry.end() && offsets_it->is_array() && offsets_it->size() == 2) {
    begin = as_count((*offsets_it)[0]);
    end = as_count((*offsets_it)[1]);
  }
  if (!begin || !end) {
    return tensor_error(
        path, name,
        "data_offsets: expected [begin, end] (non-negative integers), got " +
            (offsets_it == entry.end() ? std::string("nothing") : json_excerpt(*offsets_it)));
  }
  if (*begin > *end) {
    return tensor_error(path, name,
                        "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                            "]: begin is after end");
  }
  if (*end > data_size) {
    return tensor_error(path, name,
                        "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                            "] reach past the end of the data section (" +
                            std::to_string(data_size) + " bytes; is the file truncated?)");
  }
  if (*end - *begin != bytes) {
    return tensor_error(path, name,
                        "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                            "] hold " + std::to_string(*end - *begin) + " bytes, but " +
                            dtype_name + " " + json_excerpt(*shape_it) + " needs " +
                            std::to_string(bytes));
  }
  out.name = name;
  out.dtype = *dtype;
  out.shape = std::move(shape);
  out.byte_size = static_cast<std::size_t>(bytes);
  out.offset = *begin;
  out.file = path;
  return Status();
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (const int64_t size : shape) {
    n *= size;
  }
  return n;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  Result<MappedFile> mapped = MappedFile::open(path);
  if (!mapped.ok()) {
    return mapped.status();
  }
  return parse(std::move(mapped).value());
}

Result<SafetensorsFile> SafetensorsFile::parse(MappedFile mapped) {
  SafetensorsFile file;
  file.file_ = std::move(mapped);
  const std::filesystem::path& path = file.file_.path();
  const std::span<const uint8_t> bytes = file.file_.bytes();

  if (bytes.size() < 8) {
    return invalid(path, "file is " + std::to_string(bytes.size()) +
                             " bytes, too short for a safetensors file (8-byte header length, "
                             "then the header)");
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) {
    header_size = (header_size << 8) | bytes[static_cast<std::size_t>(i)];
  }
  const uint64_t available = bytes.size() - 8;
  if (header_size > kMaxHeaderBytes) {
    return invalid(path, "header length " + std::to_string(header_size) + " exceeds the limit of " +
                             std::to_string(kMaxHeaderBytes) +
                             " bytes (not a safetensors file, or a corrupt one)");
  }
  if (header_size > available) {
    return invalid(path, "header length " + std::to_string(header_size) + " exceeds the " +
                             std::to_string(available) +
                             " bytes that follow it (is the file truncated?)");
  }
  file.header_size_ = header_size;
  const uint8_t* header_begin = bytes.data() + 8;
  const uint8_t* data_begin = header_begin + header_size;
  const uint64_t data_size = available - header_size;

  Result<json> header = parse_header(path, header_begin, data_begin);
  if (!header.ok()) {
    return header.status();
  }
  for (const auto& [key, value] : header->items()) {
    if (key == kMetadataKey) {
      DISAGGD_RETURN_IF_ERROR(parse_metadata(path, value, file.metadata_));
      continue;
    }
    TensorInfo tensor;
    DISAGGD_RETURN_IF_ERROR(parse_tensor(path, key, value, data_size, tensor));
    tensor.data = data_begin + tensor.offset;
    file.tensors_.push_back(std::move(tensor));
  }

  std::sort(
      file.tensors_.begin(), file.tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
        return std::tie(a.offset, a.byte_size, a.name) < std::tie(b.offset, b.byte_size, b.name);
      });
  // Sorted by offset, a tensor overlaps another exactly when it starts before the furthest end
  // seen so far. Empty tensors own no bytes and overlap nothing.
  const TensorInfo* furthest = nullptr;
  for (const TensorInfo& tensor : file.tensors_) {
    if (tensor.byte_size == 0) {
      continue;
    }
    if (furthest != nullptr && tensor.offset < furthest->offset + furthest->byte_size) {
      return tensor_error(path, tensor.name,
                          "data_offsets [" + std::to_string(tensor.offset) + ", " +
                              std::to_string(tensor.offset + tensor.byte_size) +
                              "] overlap those of tensor \"" + furthest->name + "\" [" +
                              std::to_string(furthest->offset) + ", " +
                              std::to_string(furthest->offset + furthest->byte_size) + "]");
    }
    if (furthest == nullptr ||
        tensor.offset + tensor.byte_size > furthest->offset + furthest->byte_size) {
      furthest = &tensor;
    }
  }
  for (std::size_t i = 0; i < file.tensors_.size(); ++i) {
    file.index_.emplace(file.tensors_[i].name, i);
  }
  return file;
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace disaggd::engine
