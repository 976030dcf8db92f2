// Sampler draws: chi-square goodness of fit with fixed seeds (plain, temperature, top_k, top_p),
// reproducibility from the seed, and the speed on a 152k vocabulary.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

#include "engine/sampling/sampler.h"
#include "sampling_test_support.h"

namespace disaggd::engine {
namespace {

using testing::logits_of;

const std::vector<double> kProbabilities = {0.15, 0.4, 0.05, 0.3, 0.1};
constexpr int kDraws = 20000;

/// Critical values of the chi-square distribution at p = 0.001, by degrees of freedom.
double chi_square_critical(std::size_t degrees) {
  static const double kTable[] = {0, 10.828, 13.816, 16.266, 18.467};
  return kTable[degrees];
}

/// Draw counts per token of kDraws samples from `logits`, seed `seed`.
std::vector<int> draw_counts(const std::vector<float>& logits, const SamplingParams& params,
                             uint64_t seed) {
  Sampler sampler;
  SequenceRng rng(seed);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < kDraws; ++i) {
    std::vector<float> copy = logits;
    const SampledToken token = sampler.sample(copy, params, {}, {}, rng);
    ++counts.at(static_cast<std::size_t>(token.id));
  }
  return counts;
}

/// Pearson's statistic of `counts` against `expected` probabilities; a token of expected
/// probability 0 must never be drawn.
double chi_square(const std::vector<int>& counts, const std::vector<double>& expected) {
  double statistic = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " should be impossible";
      continue;
    }
    const double e = expected[i] * kDraws;
    statistic += (counts[i] - e) * (counts[i] - e) / e;
  }
  return statistic;
}

/// Normalises `weights` to probabilities.
std::vector<double> normalised(std::vector<double> weights) {
  double total = 0;
  for (const double w : weights) {
    total += w;
  }
  for (double& w : weights) {
    w /= total;
  }
  return weights;
}

TEST(SamplerDrawTest, PlainSamplingFitsTheSoftmax) {
  const std::vector<int> counts = draw_counts(logits_of(kProbabilities), SamplingParams(), 42);
  EXPECT_LT(chi_square(counts, kProbabilities), chi_square_critical(4));
  // The same draws are far from a uniform distribution: the test can tell them apart.
  EXPECT_GT(chi_square(counts, std::vector<double>(5, 0.2)), 100 * chi_square_critical(4));
}

TEST(SamplerDrawTest, TemperatureFitsTheTemperedSoftmax) {
  SamplingParams params;
  params.temperature = 2.0f;
  std::vector<double> expected;
  for (const double p : kProbabilities) {
    expected.push_back(std::sqrt(p));
  }
  const std::vector<int> counts = draw_counts(logits_of(kProbabilities), params, 7);
  EXPECT_LT(chi_square(counts, normalised(expected)), chi_square_critical(4));
  EXPECT_GT(chi_square(counts, kProbabilities), 10 * chi_square_critical(4));
}

TEST(SamplerDrawTest, TopKFitsTheRenormalisedTopK) {
  SamplingParams params;
  params.top_k = 3;
  const std::vector<int> counts = draw_counts(logits_of(kProbabilities), params, 1234);
  EXPECT_LT(chi_square(counts, normalised({0.15, 0.4, 0, 0.3, 0})), chi_square_critical(2));
}

TEST(SamplerDrawTest, TopPFitsTheRenormalisedNucleus) {
  SamplingParams params;
  params.top_p = 0.6f;  // 0.4 + 0.3
  const std::vector<int> counts = draw_counts(logits_of(kProbabilities), params, 99);
  EXPECT_LT(chi_square(counts, normalised({0, 0.4, 0, 0.3, 0})), chi_square_critical(1));
}

TEST(SamplerDrawTest, MinPFitsTheRenormalisedRest) {
  SamplingParams params;
  params.min_p = 0.3f;  // keeps 0.4, 0.3, 0.15
  const std::vector<int> counts = draw_counts(logits_of(kProbabilities), params, 5);
  EXPECT_LT(chi_square(counts, normalised({0.15, 0.4, 0, 0.3, 0})), chi_square_critical(2));
}

/// `steps` tokens sampled from random logits over 1000 tokens, as a sequence would (penalties on
/// what it produced), with a generator seeded by `seed`.
std::vector<int32_t> generate(std::optional<uint64_t> seed, int steps) {
  std::mt19937 logit_source(17);  // Same logits for every call
  std::normal_distribution<float> normal(0.0f, 1.0f);
  SamplingParams params;
  params.temperature = 0.9f;
  params.top_p = 0.95f;
  params.frequency_penalty = 0.2f;
  params.seed = seed;
  Sampler sampler;
  SequenceRng rng(params.seed);
  std::vector<int32_t> output;
  for (int step = 0; step < steps; ++step) {
    std::vector<float> logits(1000);
    for (float& x : logits) {
      x = normal(logit_source);
    }
    output.push_back(sampler.sample(logits, params, {}, output, rng).id);
  }
  return output;
}

TEST(SamplerDrawTest, TheSameSeedGivesTheSameTokens) {
  EXPECT_EQ(generate(2024, 200), generate(2024, 200));
  EXPECT_NE(generate(2024, 200), generate(2025, 200));
  EXPECT_NE(generate(std::nullopt, 200), generate(std::nullopt, 200));
}

TEST(SamplerDrawTest, SequenceRngIsTheStandardMersenneTwister) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64 (seed 5489).
  SequenceRng rng(5489);
  uint64_t value = 0;
  for (int i = 0; i < 10000; ++i) {
    value = rng.next_u64();
  }
  EXPECT_EQ(value, 9981545732273789042ull);
  SequenceRng uniform(1);
  for (int i = 0; i < 1000; ++i) {
    const double u = uniform.next_uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(SamplerDrawTest, GreedyDrawsNothing) {
  SamplingParams params;
  params.temperature = 0.0f;
  Sampler sampler;
  SequenceRng used(3);
  std::vector<float> logits = {1.0f, 2.0f};
  sampler.sample(logits, params, {}, {}, used);
  SequenceRng fresh(3);
  EXPECT_EQ(used.next_u64(), fresh.next_u64());
}

TEST(SamplerDrawTest, SpeedOnA152kVocabulary) {
  constexpr std::size_t kVocab = 151936;
  std::mt19937 source(1);
  std::normal_distribution<float> normal(0.0f, 2.5f);
  std::vector<float> logits(kVocab);
  for (float& x : logits) {
    x = normal(source);
  }
  std::vector<int32_t> prompt(2000);
  for (int32_t& id : prompt) {
    id = static_cast<int32_t>(source() % kVocab);
  }
  const std::vector<int32_t> output(prompt.begin(), prompt.begin() + 200);
  struct Case {
    const char* name;
    SamplingParams params;
  };
  std::vector<Case> cases(5);
  cases[0].name = "greedy";
  cases[0].params.temperature = 0.0f;
  cases[1].name = "plain";
  cases[2].name = "top_k=50";
  cases[2].params.top_k = 50;
  cases[3].name = "T=0.7 top_p=0.9 logprobs=5";
  cases[3].params.temperature = 0.7f;
  cases[3].params.top_p = 0.9f;
  cases[3].params.logprobs = 5;
  cases[4].name = "all penalties, top_k=40, top_p=0.95, min_p=0.05";
  cases[4].params.repetition_penalty = 1.1f;
  cases[4].params.frequency_penalty = 0.5f;
  cases[4].params.presence_penalty = 0.5f;
  cases[4].params.top_k = 40;
  cases[4].params.top_p = 0.95f;
  cases[4].params.min_p = 0.05f;
  Sampler sampler;
  SequenceRng rng(1);
  std::vector<float> copy;
  for (const Case& c : cases) {
    constexpr int kRuns = 50;
    double seconds = 0;
    for (int run = 0; run < kRuns; ++run) {
      copy = logits;
      const auto start = std::chrono::steady_clock::now();
      const SampledToken token = sampler.sample(copy, c.params, prompt, output, rng);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ASSERT_GE(token.id, 0);
      ASSERT_LT(static_cast<std::size_t>(token.id), kVocab);
    }
    std::cout << "sample() over 151936 logits, " << c.name << ": " << seconds / kRuns * 1e6
              << " us\n";
  }
}

}  // namespace
}  // namespace disaggd::engine
