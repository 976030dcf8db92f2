// Penalties, with per-token counters that return to zero after each call.
#include "engine/sampling/penalties.h"

namespace disaggd::engine {
namespace {

bool in_vocab(int32_t id, std::size_t vocab_size) {
  return id >= 0 && static_cast<std::size_t>(id) < vocab_size;
}

}  // namespace

std::vector<uint32_t>& PenaltyScratch::counts(std::size_t vocab_size) {
  if (counts_.size() != vocab_size) {
    counts_.assign(vocab_size, 0);
  }
  return counts_;
}

void apply_repetition_penalty(std::span<float> logits, float penalty,
                              std::span<const int32_t> prompt_ids,
                              std::span<const int32_t> output_ids, PenaltyScratch& scratch,
                              std::vector<OriginalLogit>* originals) {
  if (penalty == 1.0f) {
    return;
  }
  std::vector<uint32_t>& seen = scratch.counts(logits.size());
  // First pass: penalise each token the first time it is met, marking it.
  const auto penalise = [&](std::span<const int32_t> ids) {
    for (const int32_t id : ids) {
      if (!in_vocab(id, logits.size()) || seen[static_cast<std::size_t>(id)] != 0) {
        continue;
      }
      seen[static_cast<std::size_t>(id)] = 1;
      float& logit = logits[static_cast<std::size_t>(id)];
      if (originals != nullptr) {
        originals->emplace_back(id, logit);
      }
      logit = logit > 0.0f ? logit / penalty : logit * penalty;
    }
  };
  penalise(prompt_ids);
  penalise(output_ids);
  // Second pass: clear the marks.
  const auto clear = [&](std::span<const int32_t> ids) {
    for (const int32_t id : ids) {
      if (in_vocab(id, logits.size())) {
        seen[static_cast<std::size_t>(id)] = 0;
      }
    }
  };
  clear(prompt_ids);
  clear(output_ids);
}

void apply_frequency_presence_penalties(std::span<float> logits, float frequency, float presence,
                                        std::span<const int32_t> output_ids,
                                        PenaltyScratch& scratch,
                                        std::vector<OriginalLogit>* originals) {
  if (frequency == 0.0f && presence == 0.0f) {
    return;
  }
  std::vector<uint32_t>& counts = scratch.counts(logits.size());
  for (const int32_t id : output_ids) {
    if (in_vocab(id, logits.size())) {
      ++counts[static_cast<std::size_t>(id)];
    }
  }
  // Each token is penalised at its first occurrence, which also resets its counter, so later
  // occurrences see zero and leave it alone.
  for (const int32_t id : output_ids) {
    if (!in_vocab(id, logits.size())) {
      continue;
    }
    uint32_t& count = counts[static_cast<std::size_t>(id)];
    if (count == 0) {
      continue;
    }
    float& logit = logits[static_cast<std::size_t>(id)];
    if (originals != nullptr) {
      originals->emplace_back(id, logit);
    }
    logit -= static_cast<float>(count) * frequency + presence;
    count = 0;
  }
}

}  // namespace disaggd::engine
