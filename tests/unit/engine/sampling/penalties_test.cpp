// Repetition, frequency and presence penalties: exact arithmetic on a small vocabulary.
#include "engine/sampling/penalties.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace disaggd::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::UnorderedElementsAre;

TEST(PenaltiesTest, RepetitionDividesPositiveAndMultipliesNegativeOncePerToken) {
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f, 0.0f};
  const std::vector<int32_t> prompt = {0, 0, 4};
  const std::vector<int32_t> output = {1, 1, 0};
  PenaltyScratch scratch;
  std::vector<OriginalLogit> originals;
  apply_repetition_penalty(logits, 2.0f, prompt, output, scratch, &originals);
  EXPECT_THAT(logits, ElementsAre(FloatEq(1.0f), FloatEq(-4.0f), FloatEq(1.0f), FloatEq(0.5f),
                                  FloatEq(0.0f)));
  EXPECT_THAT(originals, UnorderedElementsAre(OriginalLogit{0, 2.0f}, OriginalLogit{1, -2.0f},
                                              OriginalLogit{4, 0.0f}));
}

TEST(PenaltiesTest, RepetitionBelowOneRaisesSeenTokens) {
  std::vector<float> logits = {2.0f, -2.0f};
  PenaltyScratch scratch;
  apply_repetition_penalty(logits, 0.5f, std::vector<int32_t>{0, 1}, {}, scratch, nullptr);
  EXPECT_THAT(logits, ElementsAre(FloatEq(4.0f), FloatEq(-1.0f)));
}

TEST(PenaltiesTest, RepetitionOfOneChangesNothing) {
  std::vector<float> logits = {2.0f, -2.0f};
  PenaltyScratch scratch;
  std::vector<OriginalLogit> originals;
  apply_repetition_penalty(logits, 1.0f, std::vector<int32_t>{0}, std::vector<int32_t>{1}, scratch,
                           &originals);
  EXPECT_THAT(logits, ElementsAre(2.0f, -2.0f));
  EXPECT_TRUE(originals.empty());
}

TEST(PenaltiesTest, FrequencyCountsOccurrencesAndPresenceCountsOnceOnOutputOnly) {
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> output = {0, 2, 0, 0};
  PenaltyScratch scratch;
  std::vector<OriginalLogit> originals;
  apply_frequency_presence_penalties(logits, 0.5f, 0.25f, output, scratch, &originals);
  // Token 0: 1 - 3 * 0.5 - 0.25; token 2: 1 - 0.5 - 0.25; tokens 1 and 3 are not in the output.
  EXPECT_THAT(logits, ElementsAre(FloatEq(-0.75f), FloatEq(1.0f), FloatEq(0.25f), FloatEq(1.0f)));
  EXPECT_THAT(originals, UnorderedElementsAre(OriginalLogit{0, 1.0f}, OriginalLogit{2, 1.0f}));
}

TEST(PenaltiesTest, NegativeFrequencyAndPresenceEncourageRepeats) {
  std::vector<float> logits = {0.0f, 0.0f};
  PenaltyScratch scratch;
  apply_frequency_presence_penalties(logits, -1.0f, -2.0f, std::vector<int32_t>{1, 1}, scratch,
                                     nullptr);
  EXPECT_THAT(logits, ElementsAre(FloatEq(0.0f), FloatEq(4.0f)));
}

TEST(PenaltiesTest, IgnoresIdsOutsideTheVocabulary) {
  std::vector<float> logits = {1.0f, 1.0f};
  PenaltyScratch scratch;
  const std::vector<int32_t> ids = {-1, 2, 1000, 1};
  apply_repetition_penalty(logits, 2.0f, ids, ids, scratch, nullptr);
  apply_frequency_presence_penalties(logits, 1.0f, 0.0f, ids, scratch, nullptr);
  EXPECT_THAT(logits, ElementsAre(FloatEq(1.0f), FloatEq(-0.5f)));
}

TEST(PenaltiesTest, ScratchReturnsToZeroSoTheNextCallStartsClean) {
  PenaltyScratch scratch;
  std::vector<float> logits = {1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> output = {2, 2, 0};
  apply_repetition_penalty(logits, 2.0f, output, output, scratch, nullptr);
  apply_frequency_presence_penalties(logits, 1.0f, 1.0f, output, scratch, nullptr);
  EXPECT_THAT(scratch.counts(3), ElementsAre(0u, 0u, 0u));
  // A second call with other ids is not affected by the first.
  std::vector<float> again = {1.0f, 1.0f, 1.0f};
  apply_frequency_presence_penalties(again, 1.0f, 0.0f, std::vector<int32_t>{1}, scratch, nullptr);
  EXPECT_THAT(again, ElementsAre(FloatEq(1.0f), FloatEq(0.0f), FloatEq(1.0f)));
}

}  // namespace
}  // namespace disaggd::engine
