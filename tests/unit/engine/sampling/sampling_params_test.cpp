// validate(SamplingParams): accepted ranges, and messages that name the OpenAI parameter.
#include "engine/sampling/sampling_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>

namespace disaggd::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

/// The status of the default parameters with `change` applied.
core::Status validate_with(const std::function<void(SamplingParams&)>& change) {
  SamplingParams params;
  change(params);
  return validate(params);
}

TEST(SamplingParamsTest, DefaultsAreValidAndNotGreedy) {
  const SamplingParams params;
  EXPECT_TRUE(validate(params).ok());
  EXPECT_FALSE(is_greedy(params));
  EXPECT_FALSE(params.seed.has_value());
}

TEST(SamplingParamsTest, AcceptsTheEdgesOfEveryRange) {
  for (const auto& change : std::vector<std::function<void(SamplingParams&)>>{
           [](SamplingParams& p) { p.temperature = 0.0f; },
           [](SamplingParams& p) { p.temperature = 2.0f; },
           [](SamplingParams& p) { p.top_k = -1; },
           [](SamplingParams& p) { p.top_k = 0; },
           [](SamplingParams& p) { p.top_k = 1; },
           [](SamplingParams& p) { p.top_k = 1000000; },
           [](SamplingParams& p) { p.top_p = 1e-6f; },
           [](SamplingParams& p) { p.min_p = 1.0f; },
           [](SamplingParams& p) { p.repetition_penalty = 10.0f; },
           [](SamplingParams& p) { p.repetition_penalty = 0.01f; },
           [](SamplingParams& p) { p.presence_penalty = -2.0f; },
           [](SamplingParams& p) { p.frequency_penalty = 2.0f; },
           [](SamplingParams& p) { p.logprobs = 20; },
           [](SamplingParams& p) { p.seed = 0; },
       }) {
    const core::Status status = validate_with(change);
    EXPECT_TRUE(status.ok()) << status.message();
  }
}

struct BadCase {
  std::function<void(SamplingParams&)> change;
  std::string message;
};

TEST(SamplingParamsTest, RejectsEachParameterOutOfRangeByName) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<BadCase> cases = {
      {[](SamplingParams& p) { p.temperature = -0.1f; }, "temperature must be in [0, 2], got -0.1"},
      {[](SamplingParams& p) { p.temperature = 2.5f; }, "temperature must be in [0, 2], got 2.5"},
      {[nan](SamplingParams& p) { p.temperature = nan; }, "temperature must be in [0, 2]"},
      {[](SamplingParams& p) { p.top_k = -2; },
       "top_k must be -1 or 0 (off) or at least 1, got -2"},
      {[](SamplingParams& p) { p.top_p = 0.0f; }, "top_p must be in (0, 1], got 0"},
      {[](SamplingParams& p) { p.top_p = 1.5f; }, "top_p must be in (0, 1], got 1.5"},
      {[](SamplingParams& p) { p.min_p = -0.5f; }, "min_p must be in [0, 1], got -0.5"},
      {[](SamplingParams& p) { p.min_p = 1.01f; }, "min_p must be in [0, 1]"},
      {[](SamplingParams& p) { p.repetition_penalty = 0.0f; },
       "repetition_penalty must be in (0, 10], got 0"},
      {[](SamplingParams& p) { p.repetition_penalty = 11.0f; },
       "repetition_penalty must be in (0, 10], got 11"},
      {[inf](SamplingParams& p) { p.presence_penalty = inf; },
       "presence_penalty must be in [-2, 2], got inf"},
      {[](SamplingParams& p) { p.presence_penalty = -2.5f; },
       "presence_penalty must be in [-2, 2], got -2.5"},
      {[](SamplingParams& p) { p.frequency_penalty = 3.0f; },
       "frequency_penalty must be in [-2, 2], got 3"},
      {[](SamplingParams& p) { p.logprobs = 21; }, "logprobs must be in [0, 20], got 21"},
      {[](SamplingParams& p) { p.logprobs = -1; }, "logprobs must be in [0, 20], got -1"},
  };
  for (const BadCase& bad : cases) {
    const core::Status status = validate_with(bad.change);
    ASSERT_FALSE(status.ok()) << bad.message;
    EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), StartsWith(bad.message));
  }
}

TEST(SamplingParamsTest, ReportsTheFirstBadParameter) {
  const core::Status status = validate_with([](SamplingParams& p) {
    p.top_p = 2.0f;
    p.logprobs = 99;
  });
  EXPECT_THAT(status.message(), StartsWith("top_p "));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("logprobs")));
}

TEST(SamplingParamsTest, GreedyBelowTheThreshold) {
  SamplingParams params;
  params.temperature = 0.0f;
  EXPECT_TRUE(is_greedy(params));
  params.temperature = 0.5e-5f;
  EXPECT_TRUE(is_greedy(params));
  params.temperature = 1e-4f;
  EXPECT_FALSE(is_greedy(params));
}

}  // namespace
}  // namespace disaggd::engine
