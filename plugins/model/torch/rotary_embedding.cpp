// Rotary position embeddings.
#include "rotary_embedding.h"

#include <cmath>
#include <vector>

namespace disaggd::torch_backend {
namespace {

// transformers' default inverse frequencies, then the chosen scaling
// (_compute_linear_scaling_rope_parameters / _compute_llama3_parameters).
std::vector<double> inverse_frequencies(const ModelSpec& spec) {
  const int64_t half = spec.head_dim / 2;
  std::vector<double> inv(static_cast<std::size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    inv[static_cast<std::size_t>(i)] =
        1.0 /
        std::pow(spec.rope_theta, static_cast<double>(2 * i) / static_cast<double>(spec.head_dim));
  }
  const RopeScaling& scaling = spec.rope_scaling;
  if (scaling.type == RopeScaling::Type::kLinear) {
    for (double& f : inv) {
      f /= scaling.factor;
    }
  } else if (scaling.type == RopeScaling::Type::kLlama3) {
    const double old_len = static_cast<double>(scaling.original_max_position_embeddings);
    const double low_wavelen = old_len / scaling.low_freq_factor;
    const double high_wavelen = old_len / scaling.high_freq_factor;
    for (double& f : inv) {
      const double wavelen = 2.0 * M_PI / f;
      if (wavelen > low_wavelen) {
        f /= scaling.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (old_len / wavelen - scaling.low_freq_factor) /
                              (scaling.high_freq_factor - scaling.low_freq_factor);
        f = (1.0 - smooth) * f / scaling.factor + smooth * f;
      }
    }
  }
  return inv;
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(const ModelSpec& spec, at::Device device) {
  const std::vector<double> inv = inverse_frequencies(spec);
  // transformers keeps inv_freq in float32 and multiplies by float32 positions.
  const at::Tensor inv_freq = at::tensor(std::vector<float>(inv.begin(), inv.end()), at::kFloat);
  const at::Tensor positions = at::arange(spec.max_position_embeddings, at::kFloat);
  const at::Tensor freqs = at::outer(positions, inv_freq);  // [positions, head_dim / 2]
  const at::Tensor angles = at::cat({freqs, freqs}, -1);
  cos_ = angles.cos().contiguous().to(device);
  sin_ = angles.sin().contiguous().to(device);
}

at::Tensor RotaryEmbedding::apply(const at::Tensor& x, const at::Tensor& positions) const {
  const at::Tensor cos = cos_.index_select(0, positions).unsqueeze(1).to(x.scalar_type());
  const at::Tensor sin = sin_.index_select(0, positions).unsqueeze(1).to(x.scalar_type());
  const int64_t half = x.size(-1) / 2;
  const at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace disaggd::torch_backend
