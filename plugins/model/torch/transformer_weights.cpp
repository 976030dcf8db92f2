// Loading the weights into ATen tensors.
#include "transformer_weights.h"

#include <string>

namespace disaggd::torch_backend {
namespace {

using sdk::Error;

at::ScalarType scalar_type_of(disaggd_dtype dtype, const std::string& name) {
  switch (dtype) {
    case DISAGGD_DTYPE_F32:
      return at::kFloat;
    case DISAGGD_DTYPE_BF16:
      return at::kBFloat16;
    case DISAGGD_DTYPE_F16:
      return at::kHalf;
    default:
      throw Error(DISAGGD_STATUS_UNSUPPORTED,
                  "weight tensor " + name + " has an unsupported dtype");
  }
}

class Loader {
 public:
  Loader(const sdk::WeightSource& source, at::ScalarType dtype, at::Device device)
      : source_(source), dtype_(dtype), device_(device) {}

  /// The tensor `name` with exactly `shape`, converted to the compute dtype (a private copy).
  at::Tensor get(const std::string& name, std::vector<int64_t> shape) const {
    const sdk::TensorView view = source_.require(name);
    if (view.shape != shape) {
      throw Error(
          DISAGGD_STATUS_INVALID_ARGUMENT,
          "weight tensor " + name + " has shape " + text(view.shape) + ", expected " + text(shape));
    }
    const at::Tensor borrowed =
        at::from_blob(const_cast<uint8_t*>(view.data), view.shape,
                      at::TensorOptions().dtype(scalar_type_of(view.dtype, name)));
    return borrowed.to(device_, dtype_, /*non_blocking=*/false, /*copy=*/true).contiguous();
  }

 private:
  static std::string text(const std::vector<int64_t>& shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
      out += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
    }
    return out + "]";
  }

  const sdk::WeightSource& source_;
  at::ScalarType dtype_;
  at::Device device_;
};

}  // namespace

TransformerWeights load_weights(const ModelSpec& spec, const sdk::WeightSource& source,
                                at::ScalarType dtype, at::Device device,
                                const LoadProgress& progress) {
  const Loader load(source, dtype, device);
  const int64_t h = spec.hidden_size;
  const int64_t q_out = spec.num_heads * spec.head_dim;
  const int64_t kv_out = spec.num_kv_heads * spec.head_dim;
  TransformerWeights weights;
  weights.embed_tokens = load.get("model.embed_tokens.weight", {spec.vocab_size, h});
  weights.final_norm = load.get("model.norm.weight", {h});
  weights.lm_head = spec.tie_word_embeddings ? weights.embed_tokens
                                             : load.get("lm_head.weight", {spec.vocab_size, h});
  for (int64_t i = 0; i < spec.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights layer;
    layer.input_norm = load.get(p + "input_layernorm.weight", {h});
    layer.qkv = at::cat({load.get(p + "self_attn.q_proj.weight", {q_out, h}),
                         load.get(p + "self_attn.k_proj.weight", {kv_out, h}),
                         load.get(p + "self_attn.v_proj.weight", {kv_out, h})});
    if (spec.attention_bias) {
      layer.qkv_bias = at::cat({load.get(p + "self_attn.q_proj.bias", {q_out}),
                                load.get(p + "self_attn.k_proj.bias", {kv_out}),
                                load.get(p + "self_attn.v_proj.bias", {kv_out})});
    }
    if (spec.qk_norm) {
      layer.q_norm = load.get(p + "self_attn.q_norm.weight", {spec.head_dim});
      layer.k_norm = load.get(p + "self_attn.k_norm.weight", {spec.head_dim});
    }
    layer.o_proj = load.get(p + "self_attn.o_proj.weight", {h, q_out});
    if (spec.o_proj_bias) {
      layer.o_proj_bias = load.get(p + "self_attn.o_proj.bias", {h});
    }
    layer.post_norm = load.get(p + "post_attention_layernorm.weight", {h});
    layer.gate_up = at::cat({load.get(p + "mlp.gate_proj.weight", {spec.intermediate_size, h}),
                             load.get(p + "mlp.up_proj.weight", {spec.intermediate_size, h})});
    layer.down_proj = load.get(p + "mlp.down_proj.weight", {h, spec.intermediate_size});
    weights.layers.push_back(std::move(layer));
    if (progress) {
      progress(i + 1, spec.num_layers);
    }
  }
  return weights;
}

}  // namespace disaggd::torch_backend
