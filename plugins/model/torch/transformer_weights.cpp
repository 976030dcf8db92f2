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
  Loader(const sdk::WeightSource& source, at::Device device) : source_(source), device_(device) {}

  /// The tensor `name` with exactly `shape`, converted to `dtype` (a private copy).
  at::Tensor get(const std::string& name, std::vector<int64_t> shape, at::ScalarType dtype) const {
    const sdk::TensorView view = source_.require(name);
    if (view.shape != shape) {
      throw Error(
          DISAGGD_STATUS_INVALID_ARGUMENT,
          "weight tensor " + name + " has shape " + text(view.shape) + ", expected " + text(shape));
    }
    const at::Tensor borrowed =
        at::from_blob(const_cast<uint8_t*>(view.data), view.shape,
                      at::TensorOptions().dtype(scalar_type_of(view.dtype, name)));
    return borrowed.to(device_, dtype, /*non_blocking=*/false, /*copy=*/true).contiguous();
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
  at::Device device_;
};

}  // namespace

TransformerWeights load_weights(const ModelSpec& spec, const sdk::WeightSource& source,
                                const ComputeMode& mode, const LoadProgress& progress) {
  const Loader load(source, mode.device);
  // Projections and the embedding in the weight dtype, norms and biases in the activation dtype.
  auto matrix = [&](const std::string& name, int64_t rows, int64_t columns) {
    return load.get(name, {rows, columns}, mode.weights);
  };
  auto vector = [&](const std::string& name, int64_t size) {
    return load.get(name, {size}, mode.activations);
  };
  const int64_t h = spec.hidden_size;
  const int64_t q_out = spec.num_heads * spec.head_dim;
  const int64_t kv_out = spec.num_kv_heads * spec.head_dim;
  TransformerWeights weights;
  weights.embed_tokens = matrix("model.embed_tokens.weight", spec.vocab_size, h);
  weights.final_norm = vector("model.norm.weight", h);
  weights.lm_head = spec.tie_word_embeddings ? weights.embed_tokens
                                             : matrix("lm_head.weight", spec.vocab_size, h);
  for (int64_t i = 0; i < spec.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights layer;
    layer.input_norm = vector(p + "input_layernorm.weight", h);
    layer.qkv = at::cat({matrix(p + "self_attn.q_proj.weight", q_out, h),
                         matrix(p + "self_attn.k_proj.weight", kv_out, h),
                         matrix(p + "self_attn.v_proj.weight", kv_out, h)});
    if (spec.attention_bias) {
      layer.qkv_bias = at::cat({vector(p + "self_attn.q_proj.bias", q_out),
                                vector(p + "self_attn.k_proj.bias", kv_out),
                                vector(p + "self_attn.v_proj.bias", kv_out)});
    }
    if (spec.qk_norm) {
      layer.q_norm = vector(p + "self_attn.q_norm.weight", spec.head_dim);
      layer.k_norm = vector(p + "self_attn.k_norm.weight", spec.head_dim);
    }
    layer.o_proj = matrix(p + "self_attn.o_proj.weight", h, q_out);
    if (spec.o_proj_bias) {
      layer.o_proj_bias = vector(p + "self_attn.o_proj.bias", h);
    }
    layer.post_norm = vector(p + "post_attention_layernorm.weight", h);
    layer.gate_up = at::cat({matrix(p + "mlp.gate_proj.weight", spec.intermediate_size, h),
                             matrix(p + "mlp.up_proj.weight", spec.intermediate_size, h)});
    layer.down_proj = matrix(p + "mlp.down_proj.weight", h, spec.intermediate_size);
    weights.layers.push_back(std::move(layer));
    if (progress) {
      progress(i + 1, spec.num_layers);
    }
  }
  return weights;
}

}  // namespace disaggd::torch_backend
