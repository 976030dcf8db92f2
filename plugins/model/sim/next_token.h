// The sim backend's "model": the next token after a sequence is a deterministic function of the
// seed, the sequence's last token and position, and the digest of its cached KV; logits put that
// token clearly on top of a small deterministic spread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace disaggd::sim_backend {

/// The lowest id the sim ever predicts: ids 0-2 (often unk, bos, eos) never come out, so a
/// generation only ends at max_tokens (or a stop string).
inline constexpr int32_t kFirstPredictedToken = 3;
/// The logit of the predicted token; every other logit lies in [0, 1).
inline constexpr float kPredictedLogit = 10.0f;

/// What the sim predicts after one sequence.
struct Prediction {
  int32_t token = kFirstPredictedToken;  ///< In [kFirstPredictedToken, vocab).
  uint64_t spread_key = 0;               ///< Seeds the spread of the other logits.
};

/// The prediction after `last_token` at `position`, given the KV digest of positions
/// [0, position], under `seed`. `vocab` must be greater than kFirstPredictedToken.
Prediction predict(uint64_t seed, int32_t last_token, uint32_t position, uint64_t kv_digest,
                   std::size_t vocab);

/// Writes `vocab` logits: kPredictedLogit at the predicted token, a value in [0, 1) derived from
/// the prediction's spread_key elsewhere.
void write_logits(const Prediction& prediction, std::size_t vocab, float* out);

}  // namespace disaggd::sim_backend
