// The sim backend's pure parts, linked directly: the KV byte pattern (finite values of bounded
// size in every dtype, a function of every input, exact slot lengths), the read-back digest, the
// next-token function and logits, and the cost of a call.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <set>
#include <vector>

#include "kv_digest.h"
#include "kv_pattern.h"
#include "kv_pool.h"
#include "next_token.h"
#include "step_time.h"

namespace disaggd::sim_backend {
namespace {

/// Element `i` of a slot of `dtype`, widened to float.
float element(const std::vector<uint8_t>& bytes, std::size_t i, disaggd_dtype dtype) {
  if (dtype == DISAGGD_DTYPE_F32) {
    float value;
    std::memcpy(&value, bytes.data() + i * 4, 4);
    return value;
  }
  uint16_t half;
  std::memcpy(&half, bytes.data() + i * 2, 2);
  if (dtype == DISAGGD_DTYPE_BF16) {
    return std::bit_cast<float>(uint32_t{half} << 16);
  }
  const int exponent = (half >> 10) & 0x1F;
  const float magnitude =
      exponent == 0x1F ? INFINITY : std::ldexp(1.0f + (half & 0x3FF) / 1024.0f, exponent - 15);
  if (exponent == 0) {
    return 0.0f;  // subnormals and zero: never expected here
  }
  return (half & 0x8000) != 0 ? -magnitude : magnitude;
}

std::vector<uint8_t> slot_bytes(uint64_t key, std::size_t bytes, disaggd_dtype dtype) {
  std::vector<uint8_t> out(bytes);
  fill_slot(out.data(), bytes, key, dtype);
  return out;
}

TEST(SimKvPatternTest, EveryElementIsAFiniteNormalNumberOfBoundedMagnitude) {
  for (disaggd_dtype dtype : {DISAGGD_DTYPE_F32, DISAGGD_DTYPE_BF16, DISAGGD_DTYPE_F16}) {
    const std::size_t size = dtype == DISAGGD_DTYPE_F32 ? 4 : 2;
    const std::vector<uint8_t> bytes =
        slot_bytes(slot_key(token_key(0, 42, 7), 1, 0), 4096 * size, dtype);
    std::set<float> distinct;
    int negative = 0;
    for (std::size_t i = 0; i < 4096; ++i) {
      const float value = element(bytes, i, dtype);
      ASSERT_TRUE(std::isfinite(value)) << "dtype " << dtype << " element " << i;
      ASSERT_GE(std::abs(value), 1.0f / 128.0f) << "dtype " << dtype << " element " << i;
      ASSERT_LT(std::abs(value), 2.0f) << "dtype " << dtype << " element " << i;
      negative += value < 0.0f ? 1 : 0;
      distinct.insert(value);
    }
    EXPECT_GT(negative, 1500) << "dtype " << dtype;
    EXPECT_LT(negative, 2600) << "dtype " << dtype;
    EXPECT_GT(distinct.size(), 1000u) << "dtype " << dtype;
  }
}

TEST(SimKvPatternTest, TheBytesDependOnSeedTokenPositionLayerKvAndDtype) {
  const auto bytes = [](uint64_t seed, int32_t token, uint32_t position, uint32_t layer,
                        uint32_t kv, disaggd_dtype dtype) {
    return slot_bytes(slot_key(token_key(seed, token, position), layer, kv), 64, dtype);
  };
  const std::vector<std::vector<uint8_t>> variants = {
      bytes(0, 5, 9, 2, 0, DISAGGD_DTYPE_BF16), bytes(1, 5, 9, 2, 0, DISAGGD_DTYPE_BF16),
      bytes(0, 6, 9, 2, 0, DISAGGD_DTYPE_BF16), bytes(0, 5, 10, 2, 0, DISAGGD_DTYPE_BF16),
      bytes(0, 5, 9, 3, 0, DISAGGD_DTYPE_BF16), bytes(0, 5, 9, 2, 1, DISAGGD_DTYPE_BF16),
      bytes(0, 5, 9, 2, 0, DISAGGD_DTYPE_F16),  bytes(0, 5, 9, 2, 0, DISAGGD_DTYPE_F32)};
  for (std::size_t i = 0; i < variants.size(); ++i) {
    for (std::size_t j = i + 1; j < variants.size(); ++j) {
      EXPECT_NE(variants[i], variants[j]) << "variants " << i << " and " << j;
    }
  }
  EXPECT_EQ(bytes(0, 5, 9, 2, 0, DISAGGD_DTYPE_BF16), variants[0]);  // and nothing else
}

TEST(SimKvPatternTest, ASlotIsFilledWordByWordAndNotOneByteFurther) {
  const uint64_t key = slot_key(token_key(3, 1, 0), 0, 1);
  for (std::size_t bytes : {2, 6, 8, 20, 64}) {
    std::vector<uint8_t> buffer(bytes + 16, 0xAB);
    fill_slot(buffer.data() + 8, bytes, key, DISAGGD_DTYPE_BF16);
    for (std::size_t i = 0; i < bytes; ++i) {
      const uint64_t word = slot_word(key, i / 8, DISAGGD_DTYPE_BF16);
      uint8_t expected;
      std::memcpy(&expected, reinterpret_cast<const uint8_t*>(&word) + i % 8, 1);
      ASSERT_EQ(buffer[8 + i], expected) << bytes << " bytes, byte " << i;
    }
    for (std::size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(buffer[i], 0xAB) << bytes << " bytes";
      EXPECT_EQ(buffer[8 + bytes + i], 0xAB) << bytes << " bytes";
    }
  }
}

class SimKvDigestTest : public ::testing::Test {
 protected:
  SimKvDigestTest() : pool_(geometry(), 6) {}

  static KvGeometry geometry() {
    KvGeometry g;
    g.num_layers = 3;
    g.num_kv_heads = 2;
    g.head_dim = 4;
    g.block_size = 4;
    g.dtype = DISAGGD_DTYPE_BF16;
    return g;
  }

  /// Writes positions [0, length) of a sequence of tokens 100, 101, ... into `table`'s blocks.
  void write(const int32_t* table, uint32_t length) {
    for (uint32_t p = 0; p < length; ++p) {
      for (uint32_t layer = 0; layer < 3; ++layer) {
        for (uint32_t kv = 0; kv < 2; ++kv) {
          fill_slot(pool_.slot_at(table, p, layer, kv), pool_.geometry().slot_bytes(),
                    slot_key(token_key(0, static_cast<int32_t>(100 + p), p), layer, kv),
                    DISAGGD_DTYPE_BF16);
        }
      }
    }
  }

  KvPool pool_;
};

TEST_F(SimKvDigestTest, FullDigestChangesWithEveryByteOfTheCachedPositions) {
  const int32_t table[] = {4, 1};
  write(table, 6);
  const uint64_t digest = kv_digest(pool_, table, 6, KvCheck::kFull);
  for (uint32_t p = 0; p < 6; ++p) {
    for (uint32_t layer = 0; layer < 3; ++layer) {
      for (uint32_t kv = 0; kv < 2; ++kv) {
        uint8_t* slot = pool_.slot_at(table, p, layer, kv);
        for (std::size_t b = 0; b < pool_.geometry().slot_bytes(); ++b) {
          slot[b] ^= 0x10;
          EXPECT_NE(kv_digest(pool_, table, 6, KvCheck::kFull), digest)
              << "position " << p << " layer " << layer << " kv " << kv << " byte " << b;
          slot[b] ^= 0x10;
        }
      }
    }
  }
  EXPECT_EQ(kv_digest(pool_, table, 6, KvCheck::kFull), digest);
}

TEST_F(SimKvDigestTest, SampledDigestReadsTheEndsOfEveryPosition) {
  const int32_t table[] = {4, 1};
  write(table, 6);
  const uint64_t digest = kv_digest(pool_, table, 6, KvCheck::kSampled);
  EXPECT_NE(digest, kv_digest(pool_, table, 6, KvCheck::kFull));
  const std::size_t bytes = pool_.geometry().slot_bytes();
  for (uint32_t p = 0; p < 6; ++p) {
    for (auto [layer, kv, byte] : {std::tuple<uint32_t, uint32_t, std::size_t>{0, 0, 0},
                                   {0, 0, 7},
                                   {2, 1, bytes - 8},
                                   {2, 1, bytes - 1}}) {
      uint8_t* target = pool_.slot_at(table, p, layer, kv) + byte;
      *target ^= 0x01;
      EXPECT_NE(kv_digest(pool_, table, 6, KvCheck::kSampled), digest)
          << "position " << p << " layer " << layer << " kv " << kv << " byte " << byte;
      *target ^= 0x01;
    }
  }
}

TEST_F(SimKvDigestTest, DigestIgnoresLaterPositionsAndOtherBlocksButNotPlacement) {
  const int32_t table[] = {4, 1};
  write(table, 8);
  const uint64_t digest = kv_digest(pool_, table, 6, KvCheck::kFull);
  std::memset(pool_.data() + 0 * pool_.bytes_per_block(), 0x5A, pool_.bytes_per_block());
  std::memset(pool_.slot_at(table, 6, 0, 0), 0x5A, pool_.geometry().slot_bytes());
  EXPECT_EQ(kv_digest(pool_, table, 6, KvCheck::kFull), digest);
  // The same content in other blocks reads the same: placement does not matter.
  const int32_t moved[] = {2, 5};
  write(moved, 6);
  EXPECT_EQ(kv_digest(pool_, moved, 6, KvCheck::kFull), digest);
  EXPECT_EQ(kv_digest(pool_, moved, 6, KvCheck::kSampled),
            kv_digest(pool_, table, 6, KvCheck::kSampled));
  // Swapping the blocks does matter.
  const int32_t swapped[] = {1, 4};
  EXPECT_NE(kv_digest(pool_, swapped, 6, KvCheck::kFull), digest);
}

TEST(SimNextTokenTest, PredictionsStayInsideTheVocabularyAboveIdTwo) {
  std::set<int32_t> seen;
  for (uint32_t i = 0; i < 20000; ++i) {
    const Prediction p = predict(i % 7, static_cast<int32_t>(i % 512), i, mix64(i), 512);
    ASSERT_GE(p.token, kFirstPredictedToken);
    ASSERT_LT(p.token, 512);
    seen.insert(p.token);
    EXPECT_EQ(predict(i % 7, 0, i, 0, 4).token, 3);
  }
  EXPECT_EQ(seen.size(), 509u);  // every allowed id comes out
}

TEST(SimNextTokenTest, ThePredictionDependsOnEveryInput) {
  const int32_t base = predict(1, 50, 9, 1234, 100000).token;
  EXPECT_NE(predict(2, 50, 9, 1234, 100000).token, base);
  EXPECT_NE(predict(1, 51, 9, 1234, 100000).token, base);
  EXPECT_NE(predict(1, 50, 10, 1234, 100000).token, base);
  EXPECT_NE(predict(1, 50, 9, 1235, 100000).token, base);
  EXPECT_EQ(predict(1, 50, 9, 1234, 100000).token, base);
}

TEST(SimNextTokenTest, LogitsPutThePredictionClearlyOnTopOfASmallSpread) {
  const Prediction p = predict(0, 7, 3, 99, 1000);
  std::vector<float> logits(1000, -1.0f);
  write_logits(p, logits.size(), logits.data());
  std::set<float> distinct;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (static_cast<int32_t>(i) == p.token) {
      EXPECT_EQ(logits[i], kPredictedLogit);
      continue;
    }
    ASSERT_GE(logits[i], 0.0f) << i;
    ASSERT_LT(logits[i], 1.0f) << i;
    distinct.insert(logits[i]);
  }
  EXPECT_GT(distinct.size(), 900u);
  std::vector<float> again(1000);
  write_logits(p, again.size(), again.data());
  EXPECT_EQ(again, logits);
}

TEST(SimStepTimeTest, PromptTokensAndDecodeSequencesAreCostedApart) {
  StepCost cost;
  cost.prefill_us_per_token = 10.0;
  cost.decode_us_per_step = 1000.0;
  cost.decode_us_per_sequence = 100.0;
  const int32_t tokens[16] = {};
  const int32_t blocks[4] = {};
  const auto slice = [&](uint32_t count, uint32_t start) {
    return disaggd_forward_sequence{tokens, count, start, blocks, 4, 1};
  };
  using std::chrono::microseconds;
  const disaggd_forward_sequence prompt_only[] = {slice(12, 0), slice(3, 20), slice(1, 0)};
  EXPECT_EQ(cost.of(prompt_only, 3), microseconds(160));  // a 1-token prompt is prefill
  const disaggd_forward_sequence decode_only[] = {slice(1, 5), slice(1, 40)};
  EXPECT_EQ(cost.of(decode_only, 2), microseconds(1200));
  const disaggd_forward_sequence mixed[] = {slice(1, 5), slice(8, 8)};
  EXPECT_EQ(cost.of(mixed, 2), microseconds(1180));
  EXPECT_EQ(StepCost{}.of(mixed, 2), microseconds(0));
}

TEST(SimStepTimeTest, WaitingReturnsNoEarlierThanTheDeadline) {
  for (int us : {0, 50, 300, 3000}) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
    wait_until(deadline);
    EXPECT_GE(std::chrono::steady_clock::now(), deadline) << us << " us";
  }
}

}  // namespace
}  // namespace disaggd::sim_backend
