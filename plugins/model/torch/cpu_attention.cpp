// Paged causal attention on the CPU: per (sequence, KV head), chunks of query rows against the
// key and value rows of each block, with the scores of a chunk kept in a per-thread buffer.
#include "cpu_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace disaggd::torch_backend {
namespace {

/// Query rows (tokens × heads per KV head) handled together: their queries and partial outputs
/// stay in L1 while each key and value block passes over them once.
constexpr int64_t kChunkRows = 32;

/// Where the keys and values of one layer and one KV head sit in the pool.
struct PoolLayout {
  const char* base = nullptr;
  bool bf16 = false;
  int64_t element = 0;       ///< Bytes per element.
  int64_t block_bytes = 0;   ///< From one block to the next.
  int64_t layer_bytes = 0;   ///< From one layer to the next inside a block.
  int64_t value_bytes = 0;   ///< From a block's keys to its values.
  int64_t token_stride = 0;  ///< Elements from one position to the next (kv_heads · head_dim).
  int64_t block_size = 0;
  int64_t head_dim = 0;

  /// The first key (values: false) row of `head` in pool block `block` at `layer`.
  cpu::Weights rows(int32_t block, int64_t layer, int64_t head, bool values) const {
    cpu::Weights w;
    w.data = base + block * block_bytes + layer * layer_bytes + (values ? value_bytes : 0) +
             head * head_dim * element;
    w.bf16 = bf16;
    w.row_stride = token_stride;
    return w;
  }
};

/// Per-thread scratch space, grown as needed and reused across tasks.
struct Scratch {
  std::vector<float> queries;  // [rows, head_dim]
  std::vector<float> scores;   // [rows, visible keys]
  std::vector<float> outputs;  // [rows, head_dim]
};

/// The attention of one sequence's queries for KV head `head` (query heads head · group ..
/// head · group + group - 1), written into `out`.
void attend(const AttentionSlice& slice, int64_t head, int64_t group, int64_t layer,
            const PoolLayout& pool, const float* q, int64_t ldq, float* out, int64_t ldo,
            float scale, cpu::Isa isa, Scratch& scratch) {
  const int64_t d = pool.head_dim;
  const int64_t chunk_tokens = std::max<int64_t>(1, kChunkRows / group);
  const int64_t width = group * d;  // one token's query heads of this KV head, adjacent in q
  for (int64_t t0 = 0; t0 < slice.tokens; t0 += chunk_tokens) {
    const int64_t tokens = std::min(chunk_tokens, slice.tokens - t0);
    const int64_t rows = tokens * group;  // row tt · group + g: token t0 + tt, query head g
    const int64_t visible = slice.start + t0 + tokens;  // keys the chunk's last token sees
    scratch.queries.resize(static_cast<std::size_t>(rows * d));
    scratch.scores.resize(static_cast<std::size_t>(rows * visible));
    scratch.outputs.assign(static_cast<std::size_t>(rows * d), 0.0f);
    for (int64_t tt = 0; tt < tokens; ++tt) {
      std::memcpy(scratch.queries.data() + tt * width,
                  q + (slice.first_row + t0 + tt) * ldq + head * width,
                  static_cast<std::size_t>(width) * sizeof(float));
    }
    const int64_t blocks = (visible + pool.block_size - 1) / pool.block_size;

    // Scores: the chunk's queries against each block's keys.
    cpu::LinearProblem scores;
    scores.x = scratch.queries.data();
    scores.ldx = d;
    scores.m = rows;
    scores.k = d;
    scores.ldy = visible;
    for (int64_t b = 0; b < blocks; ++b) {
      scores.w = pool.rows(slice.block_table[b], layer, head, false);
      scores.y = scratch.scores.data() + b * pool.block_size;
      cpu::stream_linear(isa, scores, 0, std::min(pool.block_size, visible - b * pool.block_size));
    }

    // Probabilities: each row over the keys its token may see; zeros after them.
    for (int64_t r = 0; r < rows; ++r) {
      float* row = scratch.scores.data() + r * visible;
      const int64_t seen = slice.start + t0 + r / group + 1;
      cpu::softmax(isa, row, seen, scale);
      std::fill(row + seen, row + visible, 0.0f);
    }

    // Outputs: probabilities times each block's values.
    for (int64_t b = 0; b < blocks; ++b) {
      cpu::accumulate_weighted_rows(isa, scratch.scores.data() + b * pool.block_size, visible, rows,
                                    pool.rows(slice.block_table[b], layer, head, true),
                                    std::min(pool.block_size, visible - b * pool.block_size), d,
                                    scratch.outputs.data(), d);
    }
    for (int64_t tt = 0; tt < tokens; ++tt) {
      std::memcpy(out + (slice.first_row + t0 + tt) * ldo + head * width,
                  scratch.outputs.data() + tt * width,
                  static_cast<std::size_t>(width) * sizeof(float));
    }
  }
}

}  // namespace

at::Tensor cpu_attention(const at::Tensor& q, const std::vector<AttentionSlice>& slices,
                         const at::Tensor& pool, int64_t layer, int64_t heads, cpu::Isa isa) {
  TORCH_CHECK(pool.dim() == 6 && pool.is_contiguous() && pool.device().is_cpu() &&
                  (pool.scalar_type() == at::kFloat || pool.scalar_type() == at::kBFloat16),
              "cpu_attention: the pool must be a contiguous 6-D float32 or bfloat16 CPU tensor");
  TORCH_CHECK(layer >= 0 && layer < pool.size(1), "cpu_attention: no layer ", layer);
  const int64_t kv_heads = pool.size(4);
  const int64_t d = pool.size(5);
  TORCH_CHECK(heads > 0 && kv_heads > 0 && heads % kv_heads == 0,
              "cpu_attention: heads must be a multiple of the pool's KV heads");
  TORCH_CHECK(q.dim() == 2 && q.scalar_type() == at::kFloat && q.device().is_cpu() &&
                  q.size(1) == heads * d && q.stride(1) == 1,
              "cpu_attention: q must be a float32 CPU tensor [rows, heads * head_dim] with "
              "contiguous rows");
  PoolLayout layout;
  layout.base = static_cast<const char*>(pool.data_ptr());
  layout.bf16 = pool.scalar_type() == at::kBFloat16;
  layout.element = pool.element_size();
  layout.block_bytes = pool.stride(0) * layout.element;
  layout.layer_bytes = pool.stride(1) * layout.element;
  layout.value_bytes = pool.stride(2) * layout.element;
  layout.token_stride = pool.stride(3);
  layout.block_size = pool.size(3);
  layout.head_dim = d;

  at::Tensor out = at::empty({q.size(0), heads * d}, q.options());
  const float* q_data = q.data_ptr<float>();
  float* out_data = out.data_ptr<float>();
  const int64_t ldq = q.stride(0);
  const int64_t group = heads / kv_heads;
  // transformers scales the float32 scores by a Python float, i.e. by this rounded to float32.
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  const auto tasks = static_cast<int64_t>(slices.size()) * kv_heads;
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    Scratch scratch;
    for (int64_t task = begin; task < end; ++task) {
      attend(slices[static_cast<std::size_t>(task / kv_heads)], task % kv_heads, group, layer,
             layout, q_data, ldq, out_data, heads * d, scale, isa, scratch);
    }
  });
  return out;
}

}  // namespace disaggd::torch_backend
