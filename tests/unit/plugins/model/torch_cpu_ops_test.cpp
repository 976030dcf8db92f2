// The torch backend's fused CPU steps against float64 versions of transformers' formulas:
// RMSNorm, per-head q/k norms with rotary embeddings, silu(gate) · up, and the softmax and
// exponential of the kernels on every instruction set (remainders after the vector width and
// arguments far outside the range where e^x is a normal float included).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "cpu_kernel_test_support.h"
#include "cpu_ops.h"

namespace disaggd::torch_backend {
namespace {

using cpu::Isa;

/// Largest |a - b| relative to the largest |b|.
double relative_error(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor b64 = b.to(at::kDouble);
  return (a.to(at::kDouble) - b64).abs().max().item<double>() /
         std::max(1e-300, b64.abs().max().item<double>());
}

at::Tensor rms_norm_reference(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor x64 = x.to(at::kDouble);
  return weight.to(at::kDouble) * x64 * at::rsqrt(x64.pow(2).mean(-1, true) + eps);
}

/// rotate_half as in transformers: [-x[d/2:], x[:d/2]].
at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

TEST(TorchCpuOpsTest, RmsNormMatchesTheFormula) {
  at::manual_seed(5);
  const at::Tensor x = at::randn({6, 1000}) * 3.0;
  const at::Tensor weight = at::randn({1000});
  const at::Tensor out = cpu_rms_norm(x, weight, 1e-6);
  EXPECT_LE(relative_error(out, rms_norm_reference(x, weight, 1e-6)), 1e-6);
  // A strided input is read too, and a row of zeros stays finite (eps).
  const at::Tensor wide = at::zeros({3, 2000});
  wide.narrow(1, 0, 1000).copy_(x.narrow(0, 0, 3));
  wide[2].zero_();
  const at::Tensor strided = wide.narrow(1, 0, 1000);
  EXPECT_LE(relative_error(cpu_rms_norm(strided, weight, 1e-5),
                           rms_norm_reference(strided, weight, 1e-5)),
            1e-6);
}

TEST(TorchCpuOpsTest, PreparedQueriesAndKeysAreNormedAndRotated) {
  at::manual_seed(6);
  const int64_t heads = 4, kv_heads = 2, d = 16, positions = 32;
  const at::Tensor angles = at::rand({positions, d / 2}) * 20.0;
  const at::Tensor cos = at::cat({angles, angles}, -1).cos();
  const at::Tensor sin = at::cat({angles, angles}, -1).sin();
  const std::vector<int64_t> at_positions = {5, 0, 31};
  const at::Tensor q_norm = at::randn({d});
  const at::Tensor k_norm = at::randn({d});
  for (const bool norms : {false, true}) {
    SCOPED_TRACE(norms ? "with q/k norms" : "without q/k norms");
    const at::Tensor original = at::randn({3, (heads + 2 * kv_heads) * d});
    at::Tensor qkv = original.clone();
    cpu_prepare_qk(qkv, heads, kv_heads, d, norms ? q_norm : at::Tensor(),
                   norms ? k_norm : at::Tensor(), 1e-6, cos, sin, at_positions);
    const at::Tensor index = at::tensor(at_positions, at::kLong);
    const at::Tensor c = cos.index_select(0, index).unsqueeze(1).to(at::kDouble);
    const at::Tensor s = sin.index_select(0, index).unsqueeze(1).to(at::kDouble);
    at::Tensor q = original.narrow(1, 0, heads * d).reshape({3, heads, d}).to(at::kDouble);
    at::Tensor k = original.narrow(1, heads * d, kv_heads * d).reshape({3, kv_heads, d});
    k = k.to(at::kDouble);
    if (norms) {
      q = rms_norm_reference(q, q_norm, 1e-6);
      k = rms_norm_reference(k, k_norm, 1e-6);
    }
    EXPECT_LE(
        relative_error(qkv.narrow(1, 0, heads * d), (q * c + rotate_half(q) * s).view({3, -1})),
        2e-6);
    EXPECT_LE(relative_error(qkv.narrow(1, heads * d, kv_heads * d),
                             (k * c + rotate_half(k) * s).view({3, -1})),
              2e-6);
    EXPECT_TRUE(at::equal(qkv.narrow(1, (heads + kv_heads) * d, kv_heads * d),
                          original.narrow(1, (heads + kv_heads) * d, kv_heads * d)));
  }
}

class TorchCpuOpsIsaTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!cpu::supports(GetParam())) {
      GTEST_SKIP() << cpu::isa_name(GetParam()) << " is not supported on this CPU";
    }
    at::manual_seed(7);
  }
};

TEST_P(TorchCpuOpsIsaTest, SiluMulMatchesTheFormula) {
  for (const int64_t inter : {1, 13, 1003}) {
    // Gates from -120 to 120: e^-gate over- and underflows float32 at both ends.
    const at::Tensor gate_up = at::cat(
        {at::linspace(-120.0, 120.0, 3 * inter).view({3, inter}), at::randn({3, inter})}, 1);
    const at::Tensor out = cpu_silu_mul(gate_up, GetParam());
    const at::Tensor g = gate_up.narrow(1, 0, inter).to(at::kDouble);
    const at::Tensor expected = g / (1.0 + at::exp(-g)) * gate_up.narrow(1, inter, inter);
    EXPECT_TRUE(at::isfinite(out).all().item<bool>());
    EXPECT_LE((out.to(at::kDouble) - expected).abs().max().item<double>(),
              1e-6 * (expected.abs().max().item<double>() + 1.0))
        << "inter " << inter;
  }
}

TEST_P(TorchCpuOpsIsaTest, SoftmaxMatchesTheFormula) {
  for (const int64_t n : {1, 7, 8, 100, 1003}) {
    for (const double spread : {1.0, 60.0}) {
      // With spread 60, scaled differences reach -200: their exponentials are zero in float32.
      at::Tensor v = at::randn({n}) * spread;
      const at::Tensor expected = at::softmax(v.to(at::kDouble) * 0.25, 0);
      cpu::softmax(GetParam(), v.data_ptr<float>(), n, 0.25f);
      EXPECT_LE((v.to(at::kDouble) - expected).abs().max().item<double>(), 1e-6)
          << "n " << n << " spread " << spread;
      EXPECT_NEAR(v.sum().item<double>(), 1.0, 1e-5);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, TorchCpuOpsIsaTest, test::all_isas(), test::isa_param_name);

}  // namespace
}  // namespace disaggd::torch_backend
