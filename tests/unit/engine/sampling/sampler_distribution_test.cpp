// Sampler: the exact distribution it draws from (greedy, temperature, top_k, top_p, min_p,
// penalties, odd logits), the log-probabilities it reports, and a 152k vocabulary against a
// brute-force reference.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "engine/sampling/sampler.h"
#include "sampling_test_support.h"

namespace disaggd::engine {
namespace {

using testing::distribution_of;
using ::testing::ElementsAre;
using ::testing::FloatNear;
using testing::logits_of;
using ::testing::Pair;

constexpr double kTolerance = 1e-6;

/// A five-token distribution whose ids are not in probability order.
const std::vector<double> kProbabilities = {0.15, 0.4, 0.05, 0.3, 0.1};

/// Expects `actual` to hold exactly the ids of `expected`, with probabilities within kTolerance.
void expect_distribution(const std::map<int32_t, double>& actual,
                         const std::map<int32_t, double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [id, p] : expected) {
    ASSERT_TRUE(actual.contains(id)) << "token " << id << " missing";
    EXPECT_NEAR(actual.at(id), p, kTolerance) << "token " << id;
  }
}

SampledToken sample_once(std::vector<float> logits, const SamplingParams& params,
                         const std::vector<int32_t>& prompt = {},
                         const std::vector<int32_t>& output = {}) {
  Sampler sampler;
  SequenceRng rng(1);
  return sampler.sample(logits, params, prompt, output, rng);
}

SamplingParams greedy() {
  SamplingParams params;
  params.temperature = 0.0f;
  return params;
}

TEST(SamplerDistributionTest, GreedyPicksTheArgmax) {
  const std::vector<float> logits = logits_of(kProbabilities);
  EXPECT_EQ(sample_once(logits, greedy()).id, 1);
  SamplingParams tiny = greedy();
  tiny.temperature = 1e-6f;
  EXPECT_EQ(sample_once(logits, tiny).id, 1);
  expect_distribution(distribution_of(logits, greedy()), {{1, 1.0}});
}

TEST(SamplerDistributionTest, GreedyTiesGoToTheLowestId) {
  const std::vector<float> logits = {1.0f, 3.0f, -2.0f, 3.0f, 3.0f};
  EXPECT_EQ(sample_once(logits, greedy()).id, 1);
}

TEST(SamplerDistributionTest, TopKOfOneIsGreedyTiesIncluded) {
  const std::vector<float> logits = {1.0f, 3.0f, -2.0f, 3.0f, 3.0f};
  SamplingParams params;
  params.top_k = 1;
  expect_distribution(distribution_of(logits, params), {{1, 1.0}});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Sampler sampler;
    SequenceRng rng(seed);
    std::vector<float> copy = logits;
    EXPECT_EQ(sampler.sample(copy, params, {}, {}, rng).id, 1);
  }
}

TEST(SamplerDistributionTest, PlainSamplingIsTheSoftmax) {
  SamplingParams params;
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{0, 0.15}, {1, 0.4}, {2, 0.05}, {3, 0.3}, {4, 0.1}});
}

TEST(SamplerDistributionTest, TemperatureRaisesProbabilitiesToOneOverT) {
  // softmax(log(p) / T) is p^(1/T), renormalised.
  for (const float temperature : {0.5f, 2.0f}) {
    SamplingParams params;
    params.temperature = temperature;
    std::map<int32_t, double> expected;
    double total = 0;
    for (std::size_t i = 0; i < kProbabilities.size(); ++i) {
      expected[static_cast<int32_t>(i)] = std::pow(kProbabilities[i], 1.0 / temperature);
      total += expected[static_cast<int32_t>(i)];
    }
    for (auto& [id, p] : expected) {
      p /= total;
    }
    expect_distribution(distribution_of(logits_of(kProbabilities), params), expected);
  }
}

TEST(SamplerDistributionTest, TopKKeepsTheKMostLikelyRenormalised) {
  SamplingParams params;
  params.top_k = 3;  // 0.4, 0.3, 0.15 of 0.85
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.4 / 0.85}, {3, 0.3 / 0.85}, {0, 0.15 / 0.85}});
  params.top_k = 5;
  EXPECT_EQ(distribution_of(logits_of(kProbabilities), params).size(), 5u);
  params.top_k = 1000;  // Beyond the vocabulary: off
  EXPECT_EQ(distribution_of(logits_of(kProbabilities), params).size(), 5u);
}

TEST(SamplerDistributionTest, TopPKeepsTheSmallestSetReachingP) {
  SamplingParams params;
  params.top_p = 0.69f;  // 0.4 + 0.3 = 0.7 reaches it
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.4 / 0.7}, {3, 0.3 / 0.7}});
  params.top_p = 0.71f;  // needs 0.15 more
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.4 / 0.85}, {3, 0.3 / 0.85}, {0, 0.15 / 0.85}});
  params.top_p = 0.3f;  // The best token alone is enough
  expect_distribution(distribution_of(logits_of(kProbabilities), params), {{1, 1.0}});
  params.top_p = 0.96f;  // Everything
  EXPECT_EQ(distribution_of(logits_of(kProbabilities), params).size(), 5u);
}

TEST(SamplerDistributionTest, TopPAppliesAfterTemperature) {
  // At T = 0.5 the probabilities are 0.16, 0.09, 0.0225, 0.01, 0.0025 over 0.285: the first two
  // make 0.8772, which reaches 0.85 (at T = 1 they make 0.7, which does not).
  SamplingParams params;
  params.temperature = 0.5f;
  params.top_p = 0.85f;
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.16 / 0.25}, {3, 0.09 / 0.25}});
}

TEST(SamplerDistributionTest, TopPAppliesToWhatTopKLeft) {
  // After top_k = 3, 0.4 and 0.3 make 0.7 / 0.85 = 0.82 of the mass, which reaches 0.8; on the
  // whole distribution they make 0.7, which does not.
  SamplingParams params;
  params.top_k = 3;
  params.top_p = 0.8f;
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.4 / 0.7}, {3, 0.3 / 0.7}});
}

TEST(SamplerDistributionTest, MinPDropsTokensBelowAFractionOfTheBest) {
  SamplingParams params;
  params.min_p = 0.3f;  // Threshold 0.12: keeps 0.4, 0.3, 0.15
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.4 / 0.85}, {3, 0.3 / 0.85}, {0, 0.15 / 0.85}});
  params.min_p = 0.2f;  // Threshold 0.08: keeps 0.1 too
  EXPECT_EQ(distribution_of(logits_of(kProbabilities), params).size(), 4u);
  params.min_p = 1.0f;  // Only the best
  expect_distribution(distribution_of(logits_of(kProbabilities), params), {{1, 1.0}});
  // With top_k, on its candidates.
  params.top_k = 4;
  params.min_p = 0.5f;  // Threshold 0.2: keeps 0.4, 0.3
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.4 / 0.7}, {3, 0.3 / 0.7}});
}

TEST(SamplerDistributionTest, MinPIsRelativeToTheTemperedDistribution) {
  // At T = 0.5 the weights relative to the best are p^2 / 0.16: 0.5625 for 0.3, 0.14 for 0.15.
  SamplingParams params;
  params.temperature = 0.5f;
  params.min_p = 0.2f;
  expect_distribution(distribution_of(logits_of(kProbabilities), params),
                      {{1, 0.16 / 0.25}, {3, 0.09 / 0.25}});
}

TEST(SamplerDistributionTest, PenaltiesApplyBeforeTemperature) {
  // Logits 0 and 1. The repetition penalty halves token 1's logit to 0.5 (it is in the prompt);
  // frequency 0.25 and presence 0.5 take another 2 * 0.25 + 0.5 from token 0 (twice in the output)
  // giving -1. Temperature 0.5 then doubles both: weights e^-2 and e^1.
  SamplingParams params;
  params.temperature = 0.5f;
  params.repetition_penalty = 2.0f;
  params.frequency_penalty = 0.25f;
  params.presence_penalty = 0.5f;
  const std::vector<float> logits = {0.0f, 1.0f};
  // Token 0 is in the output, so the repetition penalty hits it too, but 0 * 2 is still 0.
  const double a = std::exp(-2.0);
  const double b = std::exp(1.0);
  expect_distribution(distribution_of(logits, params, {1}, {0, 0}),
                      {{0, a / (a + b)}, {1, b / (a + b)}});
}

TEST(SamplerDistributionTest, RepetitionPenaltyComesBeforeFrequencyPenalty) {
  // 2 / 2 - 1 = 0 < 0.1, so greedy picks token 1; the other order, (2 - 1) / 2 = 0.5, picks 0.
  SamplingParams params = greedy();
  params.repetition_penalty = 2.0f;
  params.frequency_penalty = 1.0f;
  EXPECT_EQ(sample_once({2.0f, 0.1f}, params, {}, {0}).id, 1);
}

TEST(SamplerDistributionTest, PresencePenaltyIgnoresThePrompt) {
  SamplingParams params = greedy();
  params.presence_penalty = 2.0f;
  EXPECT_EQ(sample_once({1.0f, 0.5f}, params, {0}, {}).id, 0);
  EXPECT_EQ(sample_once({1.0f, 0.5f}, params, {}, {0}).id, 1);
}

TEST(SamplerDistributionTest, NanNeverWinsAndInfinityAlwaysDoes) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(sample_once({nan, 1.0f, 0.0f}, greedy()).id, 1);
  SamplingParams params;
  expect_distribution(distribution_of({nan, 1.0f, inf, -inf}, params), {{2, 1.0}});
  const SampledToken token = sample_once({nan, 1.0f, inf, -inf}, params);
  EXPECT_EQ(token.id, 2);
  EXPECT_FLOAT_EQ(token.logprob, 0.0f);
}

TEST(SamplerDistributionTest, AllMinusInfinityIsUniform) {
  const float inf = std::numeric_limits<float>::infinity();
  SamplingParams params;
  expect_distribution(distribution_of({-inf, -inf, -inf, -inf}, params),
                      {{0, 0.25}, {1, 0.25}, {2, 0.25}, {3, 0.25}});
  EXPECT_NEAR(sample_once({-inf, -inf}, params).logprob, std::log(0.5), 1e-6);
}

TEST(SamplerDistributionTest, EmptyLogitsGiveNoToken) {
  Sampler sampler;
  SequenceRng rng(1);
  std::vector<float> logits;
  EXPECT_EQ(sampler.sample(logits, SamplingParams(), {}, {}, rng).id, -1);
  EXPECT_TRUE(sampler.distribution(logits, SamplingParams(), {}, {}).empty());
}

TEST(SamplerDistributionTest, LogprobsAreThoseOfTheRawLogits) {
  // Penalties, temperature and top_k change the choice but not the reported log-probabilities.
  SamplingParams params = greedy();
  params.repetition_penalty = 10.0f;
  params.logprobs = 3;
  const SampledToken token = sample_once(logits_of(kProbabilities), params, {1}, {});
  EXPECT_EQ(token.id, 3);  // 1 was penalised below 3
  EXPECT_NEAR(token.logprob, std::log(0.3), 1e-6);
  EXPECT_THAT(token.top_logprobs, ElementsAre(Pair(1, FloatNear(std::log(0.4f), 1e-6f)),
                                              Pair(3, FloatNear(std::log(0.3f), 1e-6f)),
                                              Pair(0, FloatNear(std::log(0.15f), 1e-6f))));

  SamplingParams sampled;
  sampled.temperature = 0.3f;
  sampled.top_k = 2;
  sampled.frequency_penalty = 2.0f;
  const SampledToken other = sample_once(logits_of(kProbabilities), sampled, {}, {1, 3});
  EXPECT_NEAR(other.logprob, std::log(kProbabilities[static_cast<std::size_t>(other.id)]), 1e-6);
  EXPECT_TRUE(other.top_logprobs.empty());
}

TEST(SamplerDistributionTest, TopLogprobsBreakTiesByIdAndAreClampedAndBounded) {
  const float inf = std::numeric_limits<float>::infinity();
  SamplingParams params = greedy();
  params.logprobs = 5;
  const SampledToken token = sample_once({0.0f, -inf, 0.0f}, params);
  EXPECT_EQ(token.id, 0);
  EXPECT_NEAR(token.logprob, std::log(0.5), 1e-6);
  EXPECT_THAT(token.top_logprobs,
              ElementsAre(Pair(0, FloatNear(std::log(0.5f), 1e-6f)),
                          Pair(2, FloatNear(std::log(0.5f), 1e-6f)), Pair(1, -9999.0f)));
}

/// The distribution sample() should draw from, computed the slow, obvious way in double.
std::map<int32_t, double> reference_distribution(std::vector<float> logits,
                                                 const SamplingParams& params,
                                                 const std::vector<int32_t>& prompt,
                                                 const std::vector<int32_t>& output) {
  std::vector<bool> seen(logits.size(), false);
  for (const auto* ids : {&prompt, &output}) {
    for (const int32_t id : *ids) {
      seen[static_cast<std::size_t>(id)] = true;
    }
  }
  std::vector<int> count(logits.size(), 0);
  for (const int32_t id : output) {
    ++count[static_cast<std::size_t>(id)];
  }
  std::vector<double> z(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    float x = logits[i];
    if (seen[i]) {
      x = x > 0 ? x / params.repetition_penalty : x * params.repetition_penalty;
    }
    if (count[i] > 0) {
      x -= static_cast<float>(count[i]) * params.frequency_penalty + params.presence_penalty;
    }
    z[i] = static_cast<double>(x) / params.temperature;
  }
  std::vector<int32_t> order(z.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return z[a] > z[b]; });
  if (params.top_k > 0 && static_cast<std::size_t>(params.top_k) < order.size()) {
    order.resize(static_cast<std::size_t>(params.top_k));
  }
  std::vector<double> p;
  for (const int32_t id : order) {
    p.push_back(std::exp(z[id] - z[order[0]]));
  }
  double total = std::accumulate(p.begin(), p.end(), 0.0);
  if (params.top_p < 1.0f) {
    double sum = 0;
    std::size_t kept = 0;
    while (kept < p.size() && sum < params.top_p * total) {
      sum += p[kept++];
    }
    order.resize(kept);
    p.resize(kept);
  }
  std::map<int32_t, double> result;
  for (std::size_t j = 0; j < order.size(); ++j) {
    if (p[j] >= params.min_p) {  // p[0] is 1, so min_p is relative to the best
      result[order[j]] = p[j];
    }
  }
  total = 0;
  for (const auto& [id, w] : result) {
    total += w;
  }
  for (auto& [id, w] : result) {
    w /= total;
  }
  return result;
}

TEST(SamplerDistributionTest, LargeVocabularyMatchesTheBruteForceReference) {
  constexpr std::size_t kVocab = 151936;  // Qwen2's
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 2.5f);
  std::vector<float> logits(kVocab);
  for (float& x : logits) {
    x = normal(rng);
  }
  // A few confident tokens, as real models have.
  logits[42] = 14.0f;
  logits[77777] = 13.0f;
  logits[150000] = 12.5f;
  std::vector<int32_t> prompt;
  std::vector<int32_t> output;
  std::uniform_int_distribution<int32_t> any_id(0, kVocab - 1);
  for (int i = 0; i < 3000; ++i) {
    prompt.push_back(any_id(rng));
  }
  for (int i = 0; i < 300; ++i) {
    output.push_back(i % 3 == 0 ? 42 : any_id(rng));
  }

  struct Case {
    float temperature, top_p, min_p, repetition, frequency, presence;
    int32_t top_k;
  };
  const std::vector<Case> cases = {
      {1.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f, -1},     // Plain
      {0.7f, 0.9f, 0.0f, 1.0f, 0.0f, 0.0f, -1},     // Nucleus within the head
      {2.0f, 0.5f, 0.0f, 1.0f, 0.0f, 0.0f, -1},     // Nucleus of tens of thousands of tokens
      {1.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f, 50},     // top_k by heap
      {1.3f, 0.95f, 0.0f, 1.0f, 0.0f, 0.0f, 4000},  // top_k by partition, then top_p
      {1.5f, 1.0f, 0.05f, 1.0f, 0.0f, 0.0f, -1},    // min_p
      {0.8f, 0.9f, 0.01f, 1.3f, 0.4f, 0.3f, 100},   // Everything
  };
  Sampler sampler;
  for (const Case& c : cases) {
    SamplingParams params;
    params.temperature = c.temperature;
    params.top_p = c.top_p;
    params.min_p = c.min_p;
    params.repetition_penalty = c.repetition;
    params.frequency_penalty = c.frequency;
    params.presence_penalty = c.presence;
    params.top_k = c.top_k;
    const std::map<int32_t, double> expected =
        reference_distribution(logits, params, prompt, output);
    std::vector<float> copy = logits;
    const std::vector<TokenLogprob> actual = sampler.distribution(copy, params, prompt, output);
    SCOPED_TRACE(::testing::Message() << "T=" << c.temperature << " top_p=" << c.top_p
                                      << " top_k=" << c.top_k << " min_p=" << c.min_p);
    ASSERT_EQ(actual.size(), expected.size());
    for (const auto& [id, p] : actual) {
      ASSERT_TRUE(expected.contains(id)) << id;
      EXPECT_NEAR(p, expected.at(id), 1e-6 + 1e-4 * expected.at(id)) << id;
    }
    // Draws stay inside the distribution.
    SequenceRng draws(5);
    for (int i = 0; i < 20; ++i) {
      std::vector<float> again = logits;
      const SampledToken token = sampler.sample(again, params, prompt, output, draws);
      EXPECT_TRUE(expected.contains(token.id)) << token.id;
    }
  }
}

}  // namespace
}  // namespace disaggd::engine
