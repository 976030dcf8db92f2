// cpu_attention: causal attention over the paged KV pool on the CPU. Keys and values are read in
// place from their blocks (float32 or bfloat16, widened in registers): no gather copy, no
// per-sequence ATen ops, one parallel loop over (sequence, KV head) for the whole batch.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "cpu_kernels.h"

namespace disaggd::torch_backend {

/// One sequence's part of a batch: query rows [first_row, first_row + tokens) at positions
/// [start, start + tokens); its keys and values for positions [0, start + tokens) are in the pool
/// blocks block_table[0], block_table[1], ... (block_size positions each).
struct AttentionSlice {
  int64_t first_row = 0;
  int64_t tokens = 0;
  int64_t start = 0;
  const int32_t* block_table = nullptr;
};

/// softmax(q · kᵀ / sqrt(head_dim), causal) · v for every query row and head, as transformers'
/// eager attention in float32: query head h reads KV head h / (heads / kv_heads), a query at
/// position p sees the keys of positions 0 .. p.
///   q:    [rows, heads · head_dim] float32 on the CPU, rows contiguous (a view into the fused
///         qkv output is fine);
///   pool: the PagedKvCache pool [num_blocks, num_layers, 2, block_size, kv_heads, head_dim],
///         float32 or bfloat16, contiguous, on the CPU; `layer` picks the layer.
/// Returns [rows, heads · head_dim] float32. Block ids are trusted (the SDK checks them).
at::Tensor cpu_attention(const at::Tensor& q, const std::vector<AttentionSlice>& slices,
                         const at::Tensor& pool, int64_t layer, int64_t heads,
                         cpu::Isa isa = cpu::best_isa());

}  // namespace disaggd::torch_backend
