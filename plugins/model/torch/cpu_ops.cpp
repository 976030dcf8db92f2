// RMSNorm, q/k preparation and the gated activation on the CPU, parallel over tokens.
#include "cpu_ops.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace disaggd::torch_backend {
namespace {

/// Rows per task so that a task has some 16 Ki elements of work.
int64_t grain(int64_t row_elements) {
  return std::max<int64_t>(1, (int64_t{16} << 10) / std::max<int64_t>(1, row_elements));
}

/// out = weight · (x / sqrt(mean(x²) + eps)) over n elements (out may be x).
void rms_norm_row(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double squares = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    squares += static_cast<double>(x[i]) * x[i];
  }
  const float inverse =
      1.0f / std::sqrt(static_cast<float>(squares / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = weight[i] * (x[i] * inverse);
  }
}

/// x = x · cos + rotate_half(x) · sin over d elements, rotate_half(x) = [-x[d/2:], x[:d/2]].
void rotate_row(float* x, const float* cos, const float* sin, int64_t d, float* rotated) {
  const int64_t half = d / 2;
  for (int64_t i = 0; i < half; ++i) {
    rotated[i] = x[i] * cos[i] - x[i + half] * sin[i];
    rotated[i + half] = x[i + half] * cos[i + half] + x[i] * sin[i + half];
  }
  std::copy(rotated, rotated + 2 * half, x);
}

void check_f32_cpu(const at::Tensor& t, const char* what) {
  TORCH_CHECK(t.scalar_type() == at::kFloat && t.device().is_cpu() && t.is_contiguous(), what,
              " must be a contiguous float32 CPU tensor");
}

}  // namespace

at::Tensor cpu_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor input = x.contiguous();
  check_f32_cpu(input, "cpu_rms_norm: x");
  check_f32_cpu(weight, "cpu_rms_norm: weight");
  TORCH_CHECK(input.dim() == 2 && weight.dim() == 1 && weight.size(0) == input.size(1),
              "cpu_rms_norm: x must be [rows, n] and weight [n]");
  at::Tensor out = at::empty_like(input);
  const int64_t n = input.size(1);
  const float* in = input.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, input.size(0), grain(n), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      rms_norm_row(in + r * n, w, n, static_cast<float>(eps), o + r * n);
    }
  });
  return out;
}

at::Tensor cpu_silu_mul(const at::Tensor& gate_up, cpu::Isa isa) {
  const at::Tensor input = gate_up.contiguous();
  check_f32_cpu(input, "cpu_silu_mul: gate_up");
  TORCH_CHECK(input.dim() == 2 && input.size(1) % 2 == 0,
              "cpu_silu_mul: gate_up must be [rows, 2 * inter]");
  const int64_t inter = input.size(1) / 2;
  at::Tensor out = at::empty({input.size(0), inter}, input.options());
  const float* in = input.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, input.size(0), grain(inter), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      cpu::silu_mul(isa, in + r * 2 * inter, in + r * 2 * inter + inter, o + r * inter, inter);
    }
  });
  return out;
}

void cpu_prepare_qk(at::Tensor& qkv, int64_t heads, int64_t kv_heads, int64_t head_dim,
                    const at::Tensor& q_norm, const at::Tensor& k_norm, double eps,
                    const at::Tensor& cos, const at::Tensor& sin,
                    const std::vector<int64_t>& positions) {
  check_f32_cpu(qkv, "cpu_prepare_qk: qkv");
  check_f32_cpu(cos, "cpu_prepare_qk: cos");
  check_f32_cpu(sin, "cpu_prepare_qk: sin");
  const int64_t width = (heads + 2 * kv_heads) * head_dim;
  TORCH_CHECK(qkv.dim() == 2 && qkv.size(1) == width &&
                  qkv.size(0) == static_cast<int64_t>(positions.size()),
              "cpu_prepare_qk: qkv must be [tokens, (heads + 2 * kv_heads) * head_dim]");
  TORCH_CHECK(cos.dim() == 2 && cos.size(1) == head_dim && sin.sizes() == cos.sizes(),
              "cpu_prepare_qk: the rotary tables must be [positions, head_dim]");
  const bool norm = q_norm.defined();
  if (norm) {
    check_f32_cpu(q_norm, "cpu_prepare_qk: q_norm");
    check_f32_cpu(k_norm, "cpu_prepare_qk: k_norm");
  }
  float* data = qkv.data_ptr<float>();
  const float* cos_data = cos.data_ptr<float>();
  const float* sin_data = sin.data_ptr<float>();
  const float* q_weight = norm ? q_norm.data_ptr<float>() : nullptr;
  const float* k_weight = norm ? k_norm.data_ptr<float>() : nullptr;
  const auto epsilon = static_cast<float>(eps);
  at::parallel_for(0, qkv.size(0), grain(width), [&](int64_t begin, int64_t end) {
    std::vector<float> rotated(static_cast<std::size_t>(head_dim));
    for (int64_t t = begin; t < end; ++t) {
      const int64_t position = positions[static_cast<std::size_t>(t)];
      TORCH_CHECK(position >= 0 && position < cos.size(0), "cpu_prepare_qk: position ", position,
                  " is beyond the rotary tables");
      const float* c = cos_data + position * head_dim;
      const float* s = sin_data + position * head_dim;
      for (int64_t h = 0; h < heads + kv_heads; ++h) {
        float* x = data + t * width + h * head_dim;
        if (norm) {
          rms_norm_row(x, h < heads ? q_weight : k_weight, head_dim, epsilon, x);
        }
        rotate_row(x, c, s, head_dim, rotated.data());
      }
    }
  });
}

}  // namespace disaggd::torch_backend
