// Vectorised logit kernels: exp accuracy, NaN and infinity clean-up, maxima with ties, sums with a
// floor, at every length (vector body and scalar tail).
#include "engine/sampling/logit_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace disaggd::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(LogitKernelsTest, FastExpIsAccurateAndZeroFarBelow) {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.001) {
    const double exact = std::exp(static_cast<double>(static_cast<float>(x)));
    const double fast = fast_exp(static_cast<float>(x));
    worst = std::max(worst, std::abs(fast - exact) / exact);
  }
  EXPECT_LT(worst, 2e-7);
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_EQ(fast_exp(-88.0f), 0.0f);
  EXPECT_EQ(fast_exp(-1e30f), 0.0f);
  EXPECT_EQ(fast_exp(-kInf), 0.0f);
}

TEST(LogitKernelsTest, SanitizeReplacesNanAndInfinityAtEveryPosition) {
  for (std::size_t size = 1; size <= 9; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      std::vector<float> logits(size, 1.0f);
      logits[at] = std::numeric_limits<float>::quiet_NaN();
      EXPECT_EQ(sanitize_logits(logits), size > 1 ? 1.0f : -kInf);
      EXPECT_EQ(logits[at], -kInf);
      logits[at] = kInf;
      EXPECT_EQ(sanitize_logits(logits), std::numeric_limits<float>::max());
      EXPECT_EQ(logits[at], std::numeric_limits<float>::max());
    }
  }
  std::vector<float> none;
  EXPECT_EQ(sanitize_logits(none), -kInf);
}

TEST(LogitKernelsTest, ArgmaxTakesTheLowestIdAtEveryPosition) {
  for (std::size_t size = 1; size <= 11; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      std::vector<float> logits(size, -3.0f);
      logits[at] = 2.0f;
      if (at + 1 < size) {
        logits[size - 1] = 2.0f;  // A later tie
      }
      EXPECT_EQ(argmax_logit(logits), at) << size;
      EXPECT_EQ(max_logit(logits), 2.0f);
    }
  }
  EXPECT_EQ(argmax_logit(std::vector<float>{-kInf, -kInf}), 0u);
}

TEST(LogitKernelsTest, ExpSumMatchesAPlainSumAndAppliesTheFloor) {
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (const std::size_t size : {1u, 3u, 4u, 7u, 8u, 15u, 1000u, 1001u}) {
    std::vector<float> logits(size);
    for (float& x : logits) {
      x = normal(rng);
    }
    logits[0] = -kInf;
    const float shift = 2.0f;
    const float scale = 1.7f;
    // exp of the float argument the kernel computes: only the exponential itself is compared.
    const auto exact = [&](float x) { return std::exp(static_cast<double>((x - shift) * scale)); };
    double expected = 0;
    double expected_floored = 0;
    for (const float x : logits) {
      expected += exact(x);
      expected_floored += exact(x) >= 0.1 ? exact(x) : 0.0;
    }
    // The dispatched kernel (AVX2 where the CPU has it) and the portable one.
    for (const auto kernel : {&exp_sum, &exp_sum_portable}) {
      std::vector<float> weights(size);
      EXPECT_NEAR(kernel(logits, shift, scale, weights, 0.0f), expected, 1e-6 * expected) << size;
      EXPECT_NEAR(kernel(logits, shift, scale, {}, 0.0f), expected, 1e-6 * expected) << size;
      for (std::size_t i = 0; i < size; ++i) {
        EXPECT_NEAR(weights[i], exact(logits[i]), 2e-7 * weights[i] + 1e-30);
      }
      EXPECT_NEAR(kernel(logits, shift, scale, weights, 0.1f), expected_floored,
                  1e-6 * expected + 1e-12)
          << size;
      for (const float w : weights) {
        EXPECT_TRUE(w == 0.0f || w >= 0.1f);
      }
    }
  }
}

}  // namespace
}  // namespace disaggd::engine
