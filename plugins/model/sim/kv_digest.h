// Reading the KV pool back: a digest of what a sequence's cached positions hold, which the sim
// backend folds into its next token so that a decode node whose KV cache is missing or corrupted
// (a broken migration) produces different tokens.
#pragma once

#include <cstdint>

#include "kv_pool.h"

namespace disaggd::sim_backend {

/// How much of each cached position a digest reads.
enum class KvCheck {
  /// Three 8-byte words per position: the first of layer 0's keys, the last of the last layer's
  /// values, and one more chosen by the position (any layer, K or V, any word). Catches missing,
  /// misplaced, reordered and truncated blocks for a few cache lines per position.
  kSampled,
  /// Every byte of every layer's keys and values of every position: any corrupted byte changes
  /// the digest. Reads the whole sequence's KV on every call that wants its logits.
  kFull,
};

/// Digest of positions [0, length) of the sequence whose blocks are `block_table`. Each word read
/// goes through a chain step that is a bijection of the word, so changing any single word that is
/// read always changes the digest (several changes could, in principle, cancel out).
uint64_t kv_digest(const KvPool& pool, const int32_t* block_table, uint32_t length, KvCheck check);

}  // namespace disaggd::sim_backend
