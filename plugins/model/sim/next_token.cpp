// The sim backend's next-token function (see next_token.h).
#include "next_token.h"

#include "kv_pattern.h"

namespace disaggd::sim_backend {

Prediction predict(uint64_t seed, int32_t last_token, uint32_t position, uint64_t kv_digest,
                   std::size_t vocab) {
  // A different starting point than the KV pattern's, so the two never share keys.
  uint64_t key = combine(mix64(seed ^ 0x6A09E667F3BCC908ULL), static_cast<uint32_t>(last_token));
  key = combine(combine(key, position), kv_digest);
  Prediction prediction;
  prediction.token =
      kFirstPredictedToken + static_cast<int32_t>(key % (vocab - kFirstPredictedToken));
  prediction.spread_key = mix64(key ^ 0xBB67AE8584CAA73BULL);
  return prediction;
}

void write_logits(const Prediction& prediction, std::size_t vocab, float* out) {
  constexpr float kScale = 1.0f / 16777216.0f;  // 24 random bits to [0, 1)
  for (std::size_t i = 0; i < vocab; ++i) {
    uint64_t x = (prediction.spread_key ^ i) * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    out[i] = static_cast<float>(x >> 40) * kScale;
  }
  out[prediction.token] = kPredictedLogit;
}

}  // namespace disaggd::sim_backend
