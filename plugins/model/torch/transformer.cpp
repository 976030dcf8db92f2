// The decoder forward pass, following transformers' LlamaModel / Qwen2Model / Qwen3Model.
#include "transformer.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace disaggd::torch_backend {
Transformer::Transformer(ModelSpec spec, TransformerWeights weights, at::ScalarType dtype,
                         at::Device device)
    : spec_(std::move(spec)),
      weights_(std::move(weights)),
      dtype_(dtype),
      device_(device),
      rotary_(spec_, device) {}

at::Tensor Transformer::indices(const std::vector<int64_t>& values) const {
  return at::tensor(values, at::kLong).to(device_);
}

at::Tensor Transformer::rms_norm(const at::Tensor& x, const at::Tensor& weight) const {
  // As LlamaRMSNorm: statistics in float32, scale in the model dtype.
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + spec_.rms_norm_eps);
  return weight * normed.to(x.scalar_type());
}

at::Tensor Transformer::attention(const at::Tensor& q, const disaggd_forward_sequence* sequences,
                                  std::size_t count, const std::vector<at::Tensor>& block_tables,
                                  int64_t layer, const PagedKvCache& cache) const {
  const int64_t kv_heads = spec_.num_kv_heads;
  const int64_t group = spec_.num_heads / kv_heads;
  const int64_t head_dim = spec_.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  std::vector<at::Tensor> outputs;
  outputs.reserve(count);
  int64_t first = 0;
  for (std::size_t s = 0; s < count; ++s) {
    const int64_t start = sequences[s].start_position;
    const int64_t tokens = sequences[s].token_count;
    const int64_t length = start + tokens;
    auto [keys, values] = cache.gather(layer, block_tables[s], length);  // [length, kv, d]
    // [kv, group, tokens, d] x [kv, d, length] -> [kv, group, tokens, length]
    const at::Tensor q_s =
        q.narrow(0, first, tokens).view({tokens, kv_heads, group, head_dim}).permute({1, 2, 0, 3});
    const at::Tensor k_t = keys.permute({1, 2, 0}).unsqueeze(1);
    at::Tensor scores = at::matmul(q_s, k_t).to(at::kFloat) * scale;
    if (tokens > 1) {
      // Query i sits at position start + i and may see keys up to that position.
      const auto on_device = at::TensorOptions().dtype(at::kLong).device(device_);
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

void Transformer::forward(const disaggd_forward_sequence* sequences, std::size_t count,
                          PagedKvCache& cache, float* logits) const {
  at::NoGradGuard no_grad;
  const int64_t block_size = cache.block_size();
  std::vector<int64_t> tokens, positions, slot_blocks, slot_offsets, last_rows;
  std::vector<at::Tensor> block_tables;
  block_tables.reserve(count);
  for (std::size_t s = 0; s < count; ++s) {
    const disaggd_forward_sequence& seq = sequences[s];
    const int64_t length = int64_t{seq.start_position} + seq.token_count;
    const int64_t blocks = (length + block_size - 1) / block_size;
    block_tables.push_back(
        indices(std::vector<int64_t>(seq.block_table, seq.block_table + blocks)));
    for (uint32_t t = 0; t < seq.token_count; ++t) {
      const int64_t position = int64_t{seq.start_position} + t;
      tokens.push_back(seq.tokens[t]);
      positions.push_back(position);
      slot_blocks.push_back(seq.block_table[position / block_size]);
      slot_offsets.push_back(position % block_size);
    }
    if (seq.want_logits != 0) {
      last_rows.push_back(static_cast<int64_t>(tokens.size()) - 1);
    }
  }
  const int64_t total = static_cast<int64_t>(tokens.size());
  const at::Tensor position_ids = indices(positions);
  const at::Tensor block_ids = indices(slot_blocks);
  const at::Tensor offsets = indices(slot_offsets);
  const int64_t q_width = spec_.num_heads * spec_.head_dim;
  const int64_t kv_width = spec_.num_kv_heads * spec_.head_dim;

  at::Tensor x = weights_.embed_tokens.index_select(0, indices(tokens));
  for (int64_t l = 0; l < spec_.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[static_cast<std::size_t>(l)];
    const at::Tensor qkv = at::linear(rms_norm(x, w.input_norm), w.qkv, w.qkv_bias);
    at::Tensor q = qkv.narrow(1, 0, q_width).view({total, spec_.num_heads, spec_.head_dim});
    at::Tensor k =
        qkv.narrow(1, q_width, kv_width).view({total, spec_.num_kv_heads, spec_.head_dim});
    const at::Tensor v = qkv.narrow(1, q_width + kv_width, kv_width)
                             .view({total, spec_.num_kv_heads, spec_.head_dim});
    if (spec_.qk_norm) {
      q = rms_norm(q, w.q_norm);
      k = rms_norm(k, w.k_norm);
    }
    q = rotary_.apply(q, position_ids);
    k = rotary_.apply(k, position_ids);
    cache.write(l, block_ids, offsets, k, v);
    x = x +
        at::linear(attention(q, sequences, count, block_tables, l, cache), w.o_proj, w.o_proj_bias);
    const at::Tensor gate_up = at::linear(rms_norm(x, w.post_norm), w.gate_up);
    const int64_t inter = spec_.intermediate_size;
    x = x + at::linear(at::silu(gate_up.narrow(1, 0, inter)) * gate_up.narrow(1, inter, inter),
                       w.down_proj);
  }
  if (last_rows.empty()) {
    return;
  }
  const at::Tensor last = x.index_select(0, indices(last_rows));
  const at::Tensor out = at::linear(rms_norm(last, weights_.final_norm), weights_.lm_head)
                             .to(at::kCPU, at::kFloat)
                             .contiguous();
  std::memcpy(logits, out.data_ptr<float>(), static_cast<std::size_t>(out.numel()) * sizeof(float));
}

}  // namespace disaggd::torch_backend
