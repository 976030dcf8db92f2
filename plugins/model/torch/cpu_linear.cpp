// y = x · Wᵀ + b on the CPU: our streaming kernel for a few rows of x, OpenBLAS (through at::mm)
// for many, with bfloat16 weights widened block by block for it.
#include "cpu_linear.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace disaggd::torch_backend {
namespace {

/// Weight rows per task of the streaming kernel: at least 64 KiB of weights, so that a task is
/// worth waking a thread for.
int64_t stream_grain(int64_t k, int64_t element_size) {
  return std::max<int64_t>(16, (int64_t{64} << 10) / std::max<int64_t>(1, k * element_size));
}

/// Few rows: every thread streams its share of W's rows once for all rows of x.
void stream(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, at::Tensor& y,
            cpu::Isa isa) {
  cpu::LinearProblem p;
  p.x = x.data_ptr<float>();
  p.ldx = x.stride(0);
  p.m = x.size(0);
  p.k = x.size(1);
  p.w.data = weight.data_ptr();
  p.w.bf16 = weight.scalar_type() == at::kBFloat16;
  p.w.row_stride = weight.stride(0);
  p.bias = bias.defined() ? bias.data_ptr<float>() : nullptr;
  p.y = y.data_ptr<float>();
  p.ldy = y.stride(0);
  at::parallel_for(0, weight.size(0), stream_grain(p.k, weight.element_size()),
                   [&](int64_t begin, int64_t end) { cpu::stream_linear(isa, p, begin, end); });
}

/// Many rows, bfloat16 weights: threads take blocks of W's rows, widen each into a float32 buffer
/// and multiply it with at::mm (single-threaded inside at::parallel_for) into y's columns.
void widen_and_multiply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                        at::Tensor& y, const CpuLinearConfig& config) {
  const int64_t n = weight.size(0);
  const int64_t k = weight.size(1);
  const int64_t stride = weight.stride(0);
  // Blocks of about block_bytes, as many as a multiple of the threads so that none idles at the
  // end, of whole multiples of 16 rows.
  const int64_t threads = at::get_num_threads();
  const int64_t target = std::max<int64_t>(16, config.block_bytes / std::max<int64_t>(1, k * 4));
  const int64_t wanted = (n + target - 1) / target;
  const int64_t even = (wanted + threads - 1) / threads * threads;
  const int64_t rows = std::min(n, ((n + even - 1) / even + 15) / 16 * 16);
  const int64_t blocks = (n + rows - 1) / rows;
  const auto* w = static_cast<const uint16_t*>(weight.data_ptr());
  at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    at::Tensor buffer = at::empty({rows, k}, x.options());
    float* dst = buffer.data_ptr<float>();
    for (int64_t b = first; b < last; ++b) {
      const int64_t n0 = b * rows;
      const int64_t count = std::min(rows, n - n0);
      if (stride == k) {
        cpu::bf16_to_f32(config.isa, w + n0 * k, dst, count * k);
      } else {
        for (int64_t r = 0; r < count; ++r) {
          cpu::bf16_to_f32(config.isa, w + (n0 + r) * stride, dst + r * k, k);
        }
      }
      const at::Tensor block = buffer.narrow(0, 0, count).t();
      at::Tensor out = y.narrow(1, n0, count);  // strided columns: BLAS writes them in place
      if (bias.defined()) {
        at::addmm_out(out, bias.narrow(0, n0, count), x, block);
      } else {
        at::mm_out(out, x, block);
      }
    }
  });
}

}  // namespace

at::Tensor cpu_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      const CpuLinearConfig& config) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == at::kFloat && x.device().is_cpu(),
              "cpu_linear: x must be a 2-D float32 CPU tensor");
  TORCH_CHECK(
      weight.dim() == 2 && weight.size(1) == x.size(1) && weight.device().is_cpu() &&
          (weight.scalar_type() == at::kFloat || weight.scalar_type() == at::kBFloat16),
      "cpu_linear: weight must be a float32 or bfloat16 CPU tensor [N, K] with K = ", x.size(1));
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0) &&
                                  bias.scalar_type() == at::kFloat && bias.device().is_cpu()),
              "cpu_linear: bias must be a float32 CPU tensor [N]");
  const bool bf16 = weight.scalar_type() == at::kBFloat16;
  const int64_t m = x.size(0);
  if (!bf16 && m > config.stream_max_rows) {
    return at::linear(x, weight, bias);
  }
  const at::Tensor xc = x.contiguous();
  const at::Tensor wc = weight.stride(1) == 1 ? weight : weight.contiguous();
  const at::Tensor bc = bias.defined() ? bias.contiguous() : bias;
  at::Tensor y = at::empty({m, weight.size(0)}, x.options());
  if (y.numel() == 0) {
    return y;
  }
  if (m <= config.stream_max_rows) {
    stream(xc, wc, bc, y, config.isa);
  } else {
    widen_and_multiply(xc, wc, bc, y, config);
  }
  return y;
}

}  // namespace disaggd::torch_backend
