// The decoder forward pass, following transformers' LlamaModel / Qwen2Model / Qwen3Model.
#include "transformer.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_attention.h"
#include "cpu_linear.h"
#include "cpu_ops.h"

namespace disaggd::torch_backend {

struct Transformer::Batch {
  const disaggd_forward_sequence* sequences = nullptr;
  std::size_t count = 0;
  int64_t tokens = 0;                    ///< Rows of the batch: every slice's tokens, in order.
  std::vector<int64_t> positions;        ///< Position of each row.
  at::Tensor position_ids;               ///< The same as a tensor on the device.
  at::Tensor block_ids;                  ///< KV slot of each row: its block ...
  at::Tensor offsets;                    ///< ... and its offset in that block.
  std::vector<AttentionSlice> slices;    ///< Per sequence, for cpu_attention.
  std::vector<at::Tensor> block_tables;  ///< Per sequence, on the device, for attention_aten.
};

Transformer::Transformer(ModelSpec spec, TransformerWeights weights, const ComputeMode& mode)
    : spec_(std::move(spec)),
      weights_(std::move(weights)),
      mode_(mode),
      rotary_(spec_, mode.device) {}

at::Tensor Transformer::indices(const std::vector<int64_t>& values) const {
  return at::tensor(values, at::kLong).to(mode_.device);
}

at::Tensor Transformer::linear(const at::Tensor& x, const at::Tensor& weight,
                               const at::Tensor& bias) const {
  return mode_.cpu_kernels ? cpu_linear(x, weight, bias) : at::linear(x, weight, bias);
}

at::Tensor Transformer::rms_norm(const at::Tensor& x, const at::Tensor& weight) const {
  if (mode_.cpu_kernels) {
    return cpu_rms_norm(x, weight, spec_.rms_norm_eps);
  }
  // As LlamaRMSNorm: statistics in float32, scale in the model dtype.
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + spec_.rms_norm_eps);
  return weight * normed.to(x.scalar_type());
}

at::Tensor Transformer::gated_activation(const at::Tensor& gate_up) const {
  if (mode_.cpu_kernels) {
    return cpu_silu_mul(gate_up);
  }
  const int64_t inter = spec_.intermediate_size;
  return at::silu(gate_up.narrow(1, 0, inter)) * gate_up.narrow(1, inter, inter);
}

at::Tensor Transformer::attention_aten(const at::Tensor& q, const Batch& batch, int64_t layer,
                                       const PagedKvCache& cache) const {
  const int64_t kv_heads = spec_.num_kv_heads;
  const int64_t group = spec_.num_heads / kv_heads;
  const int64_t head_dim = spec_.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  std::vector<at::Tensor> outputs;
  outputs.reserve(batch.count);
  int64_t first = 0;
  for (std::size_t s = 0; s < batch.count; ++s) {
    const int64_t start = batch.sequences[s].start_position;
    const int64_t tokens = batch.sequences[s].token_count;
    const int64_t length = start + tokens;
    auto [keys, values] = cache.gather(layer, batch.block_tables[s], length);  // [length, kv, d]
    keys = keys.to(q.scalar_type());
    values = values.to(q.scalar_type());
    // [kv, group, tokens, d] x [kv, d, length] -> [kv, group, tokens, length]
    const at::Tensor q_s =
        q.narrow(0, first, tokens).view({tokens, kv_heads, group, head_dim}).permute({1, 2, 0, 3});
    const at::Tensor k_t = keys.permute({1, 2, 0}).unsqueeze(1);
    at::Tensor scores = at::matmul(q_s, k_t).to(at::kFloat) * scale;
    if (tokens > 1) {
      // Query i sits at position start + i and may see keys up to that position.
      const auto on_device = at::TensorOptions().dtype(at::kLong).device(mode_.device);
      const at::Tensor query_pos = at::arange(start, length, on_device).unsqueeze(1);
      const at::Tensor key_pos = at::arange(length, on_device).unsqueeze(0);
      scores.masked_fill_(key_pos > query_pos, -std::numeric_limits<float>::infinity());
    }
    const at::Tensor probs = at::softmax(scores, -1).to(q.scalar_type());
    const at::Tensor out = at::matmul(probs, values.permute({1, 0, 2}).unsqueeze(1));
    outputs.push_back(out.permute({2, 0, 1, 3}).reshape({tokens, kv_heads * group * head_dim}));
    first += tokens;
  }
  return outputs.size() == 1 ? outputs.front() : at::cat(outputs, 0);
}

at::Tensor Transformer::self_attention_aten(const at::Tensor& qkv, const LayerWeights& w,
                                            int64_t layer, const Batch& batch,
                                            PagedKvCache& cache) const {
  const int64_t q_width = spec_.num_heads * spec_.head_dim;
  const int64_t kv_width = spec_.num_kv_heads * spec_.head_dim;
  at::Tensor q = qkv.narrow(1, 0, q_width).view({batch.tokens, spec_.num_heads, spec_.head_dim});
  at::Tensor k =
      qkv.narrow(1, q_width, kv_width).view({batch.tokens, spec_.num_kv_heads, spec_.head_dim});
  const at::Tensor v = qkv.narrow(1, q_width + kv_width, kv_width)
                           .view({batch.tokens, spec_.num_kv_heads, spec_.head_dim});
  if (spec_.qk_norm) {
    q = rms_norm(q, w.q_norm);
    k = rms_norm(k, w.k_norm);
  }
  q = rotary_.apply(q, batch.position_ids);
  k = rotary_.apply(k, batch.position_ids);
  cache.write(layer, batch.block_ids, batch.offsets, k, v);
  return attention_aten(q, batch, layer, cache);
}

at::Tensor Transformer::self_attention(at::Tensor qkv, const LayerWeights& w, int64_t layer,
                                       const Batch& batch, PagedKvCache& cache) const {
  if (!mode_.cpu_kernels) {
    return self_attention_aten(qkv, w, layer, batch, cache);
  }
  const int64_t heads = spec_.num_heads;
  const int64_t kv_heads = spec_.num_kv_heads;
  const int64_t d = spec_.head_dim;
  cpu_prepare_qk(qkv, heads, kv_heads, d, w.q_norm, w.k_norm, spec_.rms_norm_eps, rotary_.cos(),
                 rotary_.sin(), batch.positions);
  cache.write(
      layer, batch.block_ids, batch.offsets,
      qkv.narrow(1, heads * d, kv_heads * d).view({batch.tokens, kv_heads, d}),
      qkv.narrow(1, (heads + kv_heads) * d, kv_heads * d).view({batch.tokens, kv_heads, d}));
  return cpu_attention(qkv.narrow(1, 0, heads * d), batch.slices, cache.pool(), layer, heads);
}

void Transformer::forward(const disaggd_forward_sequence* sequences, std::size_t count,
                          PagedKvCache& cache, float* logits) const {
  at::NoGradGuard no_grad;
  const int64_t block_size = cache.block_size();
  const bool cpu = mode_.cpu_kernels;
  Batch batch;
  batch.sequences = sequences;
  batch.count = count;
  std::vector<int64_t> tokens, slot_blocks, slot_offsets, last_rows;
  for (std::size_t s = 0; s < count; ++s) {
    const disaggd_forward_sequence& seq = sequences[s];
    const int64_t length = int64_t{seq.start_position} + seq.token_count;
    if (cpu) {
      batch.slices.push_back({static_cast<int64_t>(tokens.size()), int64_t{seq.token_count},
                              int64_t{seq.start_position}, seq.block_table});
    } else {
      const int64_t blocks = (length + block_size - 1) / block_size;
      batch.block_tables.push_back(
          indices(std::vector<int64_t>(seq.block_table, seq.block_table + blocks)));
    }
    for (uint32_t t = 0; t < seq.token_count; ++t) {
      const int64_t position = int64_t{seq.start_position} + t;
      tokens.push_back(seq.tokens[t]);
      batch.positions.push_back(position);
      slot_blocks.push_back(seq.block_table[position / block_size]);
      slot_offsets.push_back(position % block_size);
    }
    if (seq.want_logits != 0) {
      last_rows.push_back(static_cast<int64_t>(tokens.size()) - 1);
    }
  }
  batch.tokens = static_cast<int64_t>(tokens.size());
  batch.position_ids = indices(batch.positions);
  batch.block_ids = indices(slot_blocks);
  batch.offsets = indices(slot_offsets);

  at::Tensor x = weights_.embed_tokens.index_select(0, indices(tokens)).to(mode_.activations);
  for (int64_t l = 0; l < spec_.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[static_cast<std::size_t>(l)];
    const at::Tensor attended =
        self_attention(linear(rms_norm(x, w.input_norm), w.qkv, w.qkv_bias), w, l, batch, cache);
    x.add_(linear(attended, w.o_proj, w.o_proj_bias));
    const at::Tensor gate_up = linear(rms_norm(x, w.post_norm), w.gate_up, {});
    x.add_(linear(gated_activation(gate_up), w.down_proj, {}));
  }
  if (last_rows.empty()) {
    return;
  }
  const at::Tensor last = x.index_select(0, indices(last_rows));
  const at::Tensor out = linear(rms_norm(last, weights_.final_norm), weights_.lm_head, {})
                             .to(at::kCPU, at::kFloat)
                             .contiguous();
  std::memcpy(logits, out.data_ptr<float>(), static_cast<std::size_t>(out.numel()) * sizeof(float));
}

}  // namespace disaggd::torch_backend
