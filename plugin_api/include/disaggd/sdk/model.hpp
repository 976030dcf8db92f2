/// @file disaggd/sdk/model.hpp
/// C++ plugin SDK for model backends. Write a class derived from `ModelBackend` with a constructor
/// `(std::string_view model_config_json, const disaggd::sdk::WeightSource&,
///   disaggd::sdk::Options&, disaggd::sdk::Host)`, then export it with one line:
///
///     DISAGGD_MODEL_PLUGIN(MyBackend, "my_backend", "1.0.0", "Runs ...");
///
/// The SDK fills the C vtable, validates every forward batch against the backend's KV layout
/// (block ids inside the pool, enough blocks for the positions, logits room), rejects unknown
/// options and turns every exception into a status with a message.
#ifndef DISAGGD_SDK_MODEL_HPP
#define DISAGGD_SDK_MODEL_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "disaggd/migration.h"
#include "disaggd/model.h"
#include "disaggd/sdk/descriptor.hpp"
#include "disaggd/sdk/error.hpp"
#include "disaggd/sdk/host.hpp"
#include "disaggd/sdk/options.hpp"
#include "disaggd/sdk/views.hpp"

namespace disaggd::sdk {

/// Size in bytes of one element of `dtype`; 0 for an unknown dtype.
inline std::size_t dtype_size(uint32_t dtype) noexcept {
  switch (dtype) {
    case DISAGGD_DTYPE_F32:
    case DISAGGD_DTYPE_I32:
      return 4;
    case DISAGGD_DTYPE_F16:
    case DISAGGD_DTYPE_BF16:
      return 2;
    case DISAGGD_DTYPE_I64:
      return 8;
    case DISAGGD_DTYPE_U8:
      return 1;
    default:
      return 0;
  }
}

/// One weight tensor as the host offers it. Views stay valid while the WeightSource is valid,
/// i.e. during the backend's constructor only: copy what you keep.
struct TensorView {
  std::string_view name;
  disaggd_dtype dtype = DISAGGD_DTYPE_F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  std::size_t size = 0;  ///< Bytes.

  /// Number of elements (product of the shape).
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) {
      n *= d;
    }
    return n;
  }
};

/// The model's weights, offered by the host during construction. Lookup by name is O(1).
class WeightSource {
 public:
  /// Wraps the host's source; `source` must stay valid while this object is used.
  explicit WeightSource(const disaggd_weight_source* source) : source_(source) {
    if (source_ == nullptr || source_->host_get_tensor == nullptr) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "no weight source");
    }
    for (std::size_t i = 0; i < source_->tensor_count; ++i) {
      index_.emplace(std::string(at(i).name), i);
    }
  }

  std::size_t size() const noexcept { return source_->tensor_count; }

  /// Tensor `i` (< size()). Throws Error if the host cannot provide it or it is inconsistent.
  TensorView at(std::size_t i) const {
    disaggd_tensor_view view{};
    view.struct_size = sizeof(view);
    const disaggd_status status = source_->host_get_tensor(source_->host_ptr, i, &view);
    if (status != DISAGGD_STATUS_OK) {
      throw Error(status, "the host could not provide weight tensor " + std::to_string(i));
    }
    TensorView tensor;
    tensor.name = to_string_view(view.name);
    tensor.dtype = static_cast<disaggd_dtype>(view.dtype);
    tensor.shape.assign(view.shape, view.shape + view.rank);
    tensor.data = view.data.data;
    tensor.size = view.data.size;
    const std::size_t element = dtype_size(view.dtype);
    if (element == 0 || static_cast<std::size_t>(tensor.numel()) * element != tensor.size) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                  "weight tensor " + std::string(tensor.name) + " has inconsistent dtype/shape");
    }
    return tensor;
  }

  /// The tensor named `name`, or nothing.
  std::optional<TensorView> find(std::string_view name) const {
    const auto it = index_.find(std::string(name));
    if (it == index_.end()) {
      return std::nullopt;
    }
    return at(it->second);
  }

  /// The tensor named `name`; throws Error (INVALID_ARGUMENT) naming it when it is missing.
  TensorView require(std::string_view name) const {
    std::optional<TensorView> tensor = find(name);
    if (!tensor) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "missing weight tensor " + std::string(name));
    }
    return *tensor;
  }

 private:
  const disaggd_weight_source* source_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// The KV cache layout a backend reports (mirrors disaggd_kv_layout).
struct KvLayout {
  uint32_t num_layers = 0;
  uint32_t num_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t block_size = 0;
  disaggd_dtype dtype = DISAGGD_DTYPE_F32;
  uint32_t num_blocks = 0;
  uint64_t bytes_per_block = 0;
};

/// One memory region of the KV pool (mirrors disaggd_kv_region).
struct KvRegion {
  void* base = nullptr;
  uint64_t length = 0;
  disaggd_memory_kind kind = DISAGGD_MEMORY_HOST;
  int32_t device_id = -1;
};

/// Base class of a model backend. `forward` is called by one thread at a time; `kv_layout` and
/// `kv_regions` may be called from any thread and must not change after construction.
class ModelBackend {
 public:
  virtual ~ModelBackend() = default;

  /// The KV layout; constant for the instance's life.
  virtual KvLayout kv_layout() const = 0;
  /// The KV pool's memory regions; constant for the instance's life.
  virtual std::vector<KvRegion> kv_regions() const = 0;
  /// Vocabulary size: floats written per slice that wants logits.
  virtual std::size_t vocab_size() const = 0;
  /// Runs one step. The SDK has already checked every slice against kv_layout() and that
  /// `logits` has room for vocab_size() floats per slice with want_logits set.
  virtual void forward(const disaggd_forward_sequence* sequences, std::size_t count,
                       float* logits) = 0;
};

namespace detail {

/// Checks a batch against the layout; throws Error(INVALID_ARGUMENT) naming the first problem.
inline void validate_batch(const KvLayout& layout, std::size_t vocab,
                           const disaggd_forward_sequence* sequences, std::size_t count,
                           const float* logits, std::size_t capacity) {
  if (count == 0) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "empty forward batch");
  }
  if (sequences == nullptr) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null sequences");
  }
  std::size_t wanted = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const disaggd_forward_sequence& s = sequences[i];
    const std::string where = "sequence " + std::to_string(i) + ": ";
    if (s.token_count == 0 || s.tokens == nullptr) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, where + "no tokens");
    }
    const uint64_t end = uint64_t{s.start_position} + s.token_count;
    const uint64_t blocks_needed = (end + layout.block_size - 1) / layout.block_size;
    if (s.block_table == nullptr || s.block_count < blocks_needed) {
      throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                  where + "positions up to " + std::to_string(end) + " need " +
                      std::to_string(blocks_needed) + " blocks, the table has " +
                      std::to_string(s.block_count));
    }
    for (uint32_t b = 0; b < blocks_needed; ++b) {
      if (s.block_table[b] < 0 || static_cast<uint32_t>(s.block_table[b]) >= layout.num_blocks) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                    where + "block id " + std::to_string(s.block_table[b]) +
                        " is outside the pool of " + std::to_string(layout.num_blocks));
      }
    }
    for (uint32_t t = 0; t < s.token_count; ++t) {
      if (s.tokens[t] < 0 || static_cast<std::size_t>(s.tokens[t]) >= vocab) {
        throw Error(
            DISAGGD_STATUS_INVALID_ARGUMENT,
            where + "token id " + std::to_string(s.tokens[t]) + " is outside the vocabulary");
      }
    }
    wanted += s.want_logits != 0 ? 1 : 0;
  }
  if (wanted > 0 && (logits == nullptr || capacity < wanted * vocab)) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "logits buffer holds " + std::to_string(capacity) +
                                                     " floats, " + std::to_string(wanted * vocab) +
                                                     " are needed");
  }
}

/// Fills the C model vtable with calls into `Backend`.
template <class Backend>
struct ModelAdapter {
  static ModelBackend* self(disaggd_model_instance* instance) noexcept {
    return reinterpret_cast<ModelBackend*>(instance);
  }

  static disaggd_status create(disaggd_string_view model_config_json,
                               const disaggd_weight_source* weights, const disaggd_option* options,
                               size_t option_count, const disaggd_host_services* host,
                               disaggd_model_instance** out_instance,
                               disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (out_instance == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "out_instance is null");
      }
      Options parsed(options, option_count);
      const WeightSource source(weights);
      std::unique_ptr<ModelBackend> backend =
          std::make_unique<Backend>(to_string_view(model_config_json), source, parsed, Host(host));
      parsed.reject_unknown();
      *out_instance = reinterpret_cast<disaggd_model_instance*>(backend.release());
      return DISAGGD_STATUS_OK;
    });
  }

  static void destroy(disaggd_model_instance* instance) noexcept { delete self(instance); }

  static disaggd_status kv_layout(disaggd_model_instance* instance, disaggd_kv_layout* out,
                                  disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || out == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to kv_layout");
      }
      const KvLayout layout = self(instance)->kv_layout();
      out->struct_size = sizeof(disaggd_kv_layout);
      out->num_layers = layout.num_layers;
      out->num_kv_heads = layout.num_kv_heads;
      out->head_dim = layout.head_dim;
      out->block_size = layout.block_size;
      out->dtype = static_cast<uint32_t>(layout.dtype);
      out->num_blocks = layout.num_blocks;
      out->bytes_per_block = layout.bytes_per_block;
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status kv_regions(disaggd_model_instance* instance, disaggd_kv_region* out,
                                   size_t capacity, size_t* out_count,
                                   disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr || out_count == nullptr || (out == nullptr && capacity != 0)) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null argument to kv_regions");
      }
      const std::vector<KvRegion> regions = self(instance)->kv_regions();
      *out_count = regions.size();
      for (std::size_t i = 0; i < regions.size() && i < capacity; ++i) {
        out[i].struct_size = sizeof(disaggd_kv_region);
        out[i].base = regions[i].base;
        out[i].length = regions[i].length;
        out[i].kind = static_cast<uint32_t>(regions[i].kind);
        out[i].device_id = regions[i].device_id;
      }
      return DISAGGD_STATUS_OK;
    });
  }

  static disaggd_status forward(disaggd_model_instance* instance,
                                const disaggd_forward_sequence* sequences, size_t sequence_count,
                                float* out_logits, size_t logits_capacity,
                                disaggd_string_sink* error) noexcept {
    return guard_call(error, [&] {
      if (instance == nullptr) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "null instance");
      }
      ModelBackend* backend = self(instance);
      validate_batch(backend->kv_layout(), backend->vocab_size(), sequences, sequence_count,
                     out_logits, logits_capacity);
      backend->forward(sequences, sequence_count, out_logits);
      return DISAGGD_STATUS_OK;
    });
  }

  static const disaggd_model_vtable* vtable() noexcept {
    static const disaggd_model_vtable table = {
        sizeof(disaggd_model_vtable), &create, &destroy, &kv_layout, &kv_regions, &forward,
    };
    return &table;
  }
};

}  // namespace detail

/// The descriptor of a model plugin implemented by `Backend` (see DISAGGD_MODEL_PLUGIN).
template <class Backend>
const disaggd_plugin_descriptor* model_descriptor(const char* name, const char* version,
                                                  const char* description) noexcept {
  return make_descriptor<Backend>(DISAGGD_PLUGIN_KIND_MODEL, name, version, description,
                                  detail::ModelAdapter<Backend>::vtable());
}

}  // namespace disaggd::sdk

/// Exports `BackendClass` as the model plugin of this library. Use once per library, at
/// namespace scope, with a trailing semicolon; the strings are literals.
#define DISAGGD_MODEL_PLUGIN(BackendClass, name, version, description)                    \
  extern "C" DISAGGD_PLUGIN_EXPORT const disaggd_plugin_descriptor* disaggd_plugin_entry( \
      uint32_t /*host_abi_major*/, uint32_t /*host_abi_minor*/) {                         \
    return ::disaggd::sdk::model_descriptor<BackendClass>(name, version, description);    \
  }                                                                                       \
  static_assert(true, "DISAGGD_MODEL_PLUGIN is used with a trailing semicolon")

#endif  // DISAGGD_SDK_MODEL_HPP
