/// @file disaggd/model.h
/// Model backend plugin ABI (DRAFT in ABI 1.0): runs the forward pass of a decoder-only transformer
/// over a paged KV cache the backend owns. The daemon parses the Hugging Face folder (config.json,
/// safetensors, tokenizer) and hands the backend the model description and the weights; the
/// backend never reads model files itself. The issue that implements the first model backend may
/// extend this header with an ABI minor bump (appending members; nothing is removed or reordered).
///
/// Threading: `forward_fn` of one instance is called by one engine thread at a time; the query
/// calls (`kv_layout_fn`, `kv_regions_fn`) may come from any thread.
#ifndef DISAGGD_MODEL_H
#define DISAGGD_MODEL_H

#include "disaggd/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Element type of a tensor.
typedef enum disaggd_dtype {
  DISAGGD_DTYPE_F32 = 1,   ///< IEEE 754 binary32.
  DISAGGD_DTYPE_F16 = 2,   ///< IEEE 754 binary16.
  DISAGGD_DTYPE_BF16 = 3,  ///< bfloat16 (the upper half of a binary32).
  DISAGGD_DTYPE_I32 = 4,   ///< Signed 32-bit integer.
  DISAGGD_DTYPE_I64 = 5,   ///< Signed 64-bit integer.
  DISAGGD_DTYPE_U8 = 6     ///< Unsigned byte (raw or quantised data).
} disaggd_dtype;

/// A named, dense, row-major tensor. Owned by the host (memory-mapped weights); valid while the
/// `disaggd_weight_source` that produced it is valid.
typedef struct disaggd_tensor_view {
  size_t struct_size;  ///< sizeof(disaggd_tensor_view) of the host.
  disaggd_string_view
      name;                 ///< Hugging Face tensor name, e.g. "model.layers.0.mlp.up_proj.weight".
  uint32_t dtype;           ///< A `disaggd_dtype`.
  uint32_t rank;            ///< Number of dimensions in `shape`.
  const int64_t* shape;     ///< `rank` sizes.
  disaggd_bytes_view data;  ///< The elements (size = product(shape) * element size).
} disaggd_tensor_view;

/// The weights of a model, offered by the host during `create_fn` only.
typedef struct disaggd_weight_source {
  size_t struct_size;   ///< sizeof(disaggd_weight_source) of the host.
  void* host_ptr;       ///< Host state; pass it back unchanged.
  size_t tensor_count;  ///< Number of tensors.
  /// Fills `*out` with tensor `index` (< tensor_count). The view stays valid until `create_fn`
  /// returns; a backend that keeps weights copies them (to its device or dtype).
  disaggd_status (*host_get_tensor)(void* host_ptr, size_t index, disaggd_tensor_view* out);
} disaggd_weight_source;

/// Shape of the KV cache a backend allocates, for block accounting and migration compatibility.
typedef struct disaggd_kv_layout {
  size_t struct_size;        ///< sizeof(disaggd_kv_layout) of the plugin.
  uint32_t num_layers;       ///< Transformer layers.
  uint32_t num_kv_heads;     ///< KV heads per layer.
  uint32_t head_dim;         ///< Elements per head.
  uint32_t block_size;       ///< Tokens per KV block.
  uint32_t dtype;            ///< A `disaggd_dtype` of the cached keys and values.
  uint32_t num_blocks;       ///< Blocks in the pool.
  uint64_t bytes_per_block;  ///< Bytes one block occupies across all layers (K and V).
} disaggd_kv_layout;

/// One memory region of the KV pool, as migration plugins register it. The memory is the
/// backend's and stays valid until the instance is destroyed.
typedef struct disaggd_kv_region {
  size_t struct_size;  ///< sizeof(disaggd_kv_region) of the plugin.
  void* base;          ///< First byte (host or device pointer).
  uint64_t length;     ///< Bytes.
  uint32_t kind;       ///< A `disaggd_memory_kind` value (see disaggd/migration.h): 1 host, 2 CUDA.
  int32_t device_id;   ///< GPU ordinal, or -1 for host memory.
} disaggd_kv_region;

/// One sequence's slice of a forward batch: `token_count` new tokens starting at position
/// `start_position`, whose KV lands in the blocks of `block_table` (enough blocks for
/// start_position + token_count tokens). A decode step is a slice of one token.
/// Frozen for ABI major 1 (passed in arrays).
typedef struct disaggd_forward_sequence {
  const int32_t* tokens;       ///< `token_count` token ids; borrowed.
  uint32_t token_count;        ///< New tokens in this slice (>= 1).
  uint32_t start_position;     ///< Position of the first new token (tokens already cached).
  const int32_t* block_table;  ///< Block ids of the sequence, in order; borrowed.
  uint32_t block_count;        ///< Entries in `block_table`.
  uint32_t want_logits;        ///< 1: write logits of the slice's last token to the output.
} disaggd_forward_sequence;

/// Opaque instance state, created and owned by the plugin.
typedef struct disaggd_model_instance disaggd_model_instance;

/// The model vtable (static storage). Every member is required.
typedef struct disaggd_model_vtable {
  size_t struct_size;  ///< sizeof(disaggd_model_vtable) the plugin was built with.

  /// Builds the model. `model_config_json` (borrowed) is the parsed and validated model
  /// description (architecture, sizes, dtype, rope, KV pool size); `weights` is valid for this
  /// call only; `options` as for routing plugins; `host` lives until `destroy_fn` returns.
  disaggd_status (*create_fn)(disaggd_string_view model_config_json,
                              const disaggd_weight_source* weights, const disaggd_option* options,
                              size_t option_count, const disaggd_host_services* host,
                              disaggd_model_instance** out_instance, disaggd_string_sink* error);

  /// Frees the model, its weights and its KV pool.
  void (*destroy_fn)(disaggd_model_instance* instance);

  /// Fills `*out` with the KV layout (the caller sets `out->struct_size`).
  disaggd_status (*kv_layout_fn)(disaggd_model_instance* instance, disaggd_kv_layout* out,
                                 disaggd_string_sink* error);

  /// Writes up to `capacity` regions of the KV pool into `out` (the caller sets each
  /// `struct_size`) and their number into `*out_count`.
  disaggd_status (*kv_regions_fn)(disaggd_model_instance* instance, disaggd_kv_region* out,
                                  size_t capacity, size_t* out_count, disaggd_string_sink* error);

  /// Runs one step over `sequence_count` slices (borrowed). For every slice with want_logits set,
  /// in order, writes `vocab_size` float logits to `out_logits` (host memory owned by the caller,
  /// `logits_capacity` floats).
  disaggd_status (*forward_fn)(disaggd_model_instance* instance,
                               const disaggd_forward_sequence* sequences, size_t sequence_count,
                               float* out_logits, size_t logits_capacity,
                               disaggd_string_sink* error);
} disaggd_model_vtable;

#ifdef __cplusplus
}
#endif

#endif /* DISAGGD_MODEL_H */
