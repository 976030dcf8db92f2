// cpu_linear, the torch backend's CPU matmul, against a float64 reference (at::linear in double
// on the same float32 or bfloat16-rounded weights): every instruction set this CPU runs (the
// scalar fallback always), float32 and bfloat16 weights, with and without bias, on 1 and 2
// threads, for decode-sized and prefill-sized batches, K with and without a remainder after the
// vector width, strided inputs, and the split between our streaming kernel and OpenBLAS.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstring>
#include <string>
#include <vector>

#include "cpu_kernel_test_support.h"
#include "cpu_linear.h"

namespace disaggd::torch_backend {
namespace {

using cpu::Isa;

/// Largest |y - reference| / (|x| · |W|ᵀ + |b|) over all outputs: the error relative to the sum
/// of the magnitudes of the products, which is what float32 rounding scales with.
double relative_error(const at::Tensor& y, const at::Tensor& x, const at::Tensor& weight,
                      const at::Tensor& bias) {
  const at::Tensor x64 = x.to(at::kDouble);
  const at::Tensor w64 = weight.to(at::kDouble);  // exact for bfloat16 too
  const at::Tensor b64 = bias.defined() ? bias.to(at::kDouble) : at::Tensor();
  const at::Tensor reference = at::linear(x64, w64, b64);
  const at::Tensor magnitude =
      at::linear(x64.abs(), w64.abs(), bias.defined() ? b64.abs() : at::Tensor()) + 1e-30;
  EXPECT_EQ(y.sizes(), reference.sizes());
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  return ((y.to(at::kDouble) - reference).abs() / magnitude).max().item<double>();
}

/// float32 rounding of sums of up to ~1000 products in 8 lanes (or OpenBLAS's order) stays well
/// inside this; a wrong element, a lost remainder or a misplaced row does not.
constexpr double kTolerance = 1e-5;

class TorchCpuLinearTest : public ::testing::TestWithParam<test::IsaAndDtype> {
 protected:
  void SetUp() override {
    if (!cpu::supports(isa())) {
      GTEST_SKIP() << cpu::isa_name(isa()) << " is not supported on this CPU";
    }
    at::manual_seed(1234);
  }

  Isa isa() const { return std::get<0>(GetParam()); }
  at::ScalarType weight_dtype() const { return std::get<1>(GetParam()); }
  CpuLinearConfig config() const {
    CpuLinearConfig config;
    config.isa = isa();
    return config;
  }

  /// Random weights [n, k] in the weight dtype (bf16: rounded from a float32 draw).
  at::Tensor weights(int64_t n, int64_t k) const { return at::randn({n, k}).to(weight_dtype()); }

  void expect_matches(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                      const CpuLinearConfig& config) const {
    const at::Tensor y = cpu_linear(x, w, b, config);
    EXPECT_LE(relative_error(y, x, w, b), kTolerance);
  }
};

TEST_P(TorchCpuLinearTest, MatchesAFloat64ReferenceOnEveryShape) {
  const std::vector<int64_t> ms = {1, 2, 3, 4, 5, 8, 16, 130};
  const std::vector<int64_t> ks = {3, 8, 13, 64, 1000, 1001, 1024};
  const std::vector<int64_t> ns = {1, 7, 300};
  for (const int threads : {1, 2}) {
    const test::ScopedThreads scope(threads);
    for (const int64_t k : ks) {
      for (const int64_t n : ns) {
        const at::Tensor w = weights(n, k);
        const at::Tensor b = at::randn({n});
        for (const int64_t m : ms) {
          const at::Tensor x = at::randn({m, k});
          for (const bool with_bias : {false, true}) {
            SCOPED_TRACE("threads " + std::to_string(threads) + " M " + std::to_string(m) + " K " +
                         std::to_string(k) + " N " + std::to_string(n) +
                         (with_bias ? " with bias" : " no bias"));
            expect_matches(x, w, with_bias ? b : at::Tensor(), config());
          }
        }
      }
    }
  }
}

TEST_P(TorchCpuLinearTest, EveryPathMatchesWhateverTheSplit) {
  // The streaming kernel for all 130 rows, then OpenBLAS (and bf16 blocks of 16 rows, the last
  // one partial) down to a single row.
  CpuLinearConfig stream_all = config();
  stream_all.stream_max_rows = 1000;
  CpuLinearConfig blas_all = config();
  blas_all.stream_max_rows = 0;
  blas_all.block_bytes = 1;
  const at::Tensor w = weights(300, 1001);
  const at::Tensor b = at::randn({300});
  for (const int threads : {1, 2}) {
    const test::ScopedThreads scope(threads);
    for (const int64_t m : {1, 2, 7, 130}) {
      const at::Tensor x = at::randn({m, 1001});
      SCOPED_TRACE("threads " + std::to_string(threads) + " M " + std::to_string(m));
      expect_matches(x, w, b, stream_all);
      expect_matches(x, w, b, blas_all);
    }
  }
}

TEST_P(TorchCpuLinearTest, StridedInputsAreRead) {
  // Weight rows with a gap between them (a view of the first 100 columns of 128), x as a
  // transposed view, bias as every second element.
  const at::Tensor w = weights(37, 128).narrow(1, 0, 100);
  const at::Tensor b = at::randn({74}).slice(0, 0, 74, 2);
  ASSERT_FALSE(w.is_contiguous());
  ASSERT_FALSE(b.is_contiguous());
  for (const int64_t m : {1, 3, 20}) {
    const at::Tensor x = at::randn({100, m}).t();
    SCOPED_TRACE("M " + std::to_string(m));
    expect_matches(x, w, b, config());
  }
}

TEST_P(TorchCpuLinearTest, EmptyDimensionsGiveEmptyOrBiasOutputs) {
  const at::Tensor b = at::randn({3});
  const at::Tensor no_k = cpu_linear(at::randn({2, 0}), weights(3, 0), b, config());
  EXPECT_TRUE(at::equal(no_k, b.expand({2, 3})));
  EXPECT_EQ(cpu_linear(at::randn({0, 5}), weights(3, 5), b, config()).sizes(),
            at::IntArrayRef({0, 3}));
  EXPECT_EQ(cpu_linear(at::randn({4, 5}), weights(0, 5), at::Tensor(), config()).sizes(),
            at::IntArrayRef({4, 0}));
}

TEST_P(TorchCpuLinearTest, BadInputsAreRefused) {
  EXPECT_THROW(cpu_linear(at::randn({2, 5}), weights(3, 4), at::Tensor(), config()), c10::Error);
  EXPECT_THROW(cpu_linear(at::randn({2, 4}, at::kDouble), weights(3, 4), at::Tensor(), config()),
               c10::Error);
  EXPECT_THROW(cpu_linear(at::randn({2, 4}), weights(3, 4), at::randn({4}), config()), c10::Error);
  EXPECT_THROW(cpu_linear(at::randn({2, 4}), at::randn({3, 4}, at::kHalf), at::Tensor(), config()),
               c10::Error);
}

INSTANTIATE_TEST_SUITE_P(Kernels, TorchCpuLinearTest, test::all_isas_and_dtypes(),
                         test::isa_and_dtype_name);

TEST(TorchCpuKernelsTest, TheBestInstructionSetIsOneThisCpuRuns) {
  EXPECT_TRUE(cpu::supports(Isa::kScalar));
  EXPECT_TRUE(cpu::supports(cpu::best_isa()));
  if (cpu::supports(Isa::kAvx2)) {
    EXPECT_EQ(cpu::best_isa(), Isa::kAvx2);
  }
}

TEST(TorchCpuKernelsTest, WideningBfloat16IsExactOnEveryInstructionSet) {
  // Every bit pattern, so infinities, NaNs and subnormals too; 65536 is not a multiple of the
  // vector width once the first element is skipped, which exercises the remainder.
  std::vector<uint16_t> all(65536);
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = static_cast<uint16_t>(i);
  }
  for (const Isa isa : {Isa::kScalar, Isa::kAvx2}) {
    if (!cpu::supports(isa)) {
      continue;
    }
    std::vector<float> out(all.size() - 1);
    cpu::bf16_to_f32(isa, all.data() + 1, out.data(), static_cast<int64_t>(out.size()));
    for (std::size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = 0;
      std::memcpy(&bits, &out[i], sizeof(bits));
      ASSERT_EQ(bits, static_cast<uint32_t>(all[i + 1]) << 16) << cpu::isa_name(isa) << " " << i;
    }
  }
}

}  // namespace
}  // namespace disaggd::torch_backend
