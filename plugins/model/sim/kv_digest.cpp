// The KV read-back digest (see kv_digest.h).
#include "kv_digest.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "kv_pattern.h"

namespace disaggd::sim_backend {
namespace {

/// FNV-1a style step on a whole word: for a fixed h, a bijection of `word` (xor, then a multiply
/// by an odd constant), and for a fixed word a bijection of `h`.
constexpr uint64_t chain(uint64_t h, uint64_t word) {
  return (h ^ word) * 0x100000001B3ULL;
}

/// Four independent chains, so that a full read is not bound by one multiply's latency. Word i
/// of a slot goes to chain i % 4; the chains are folded with combine(), which is a bijection of
/// each chain given the others, so one changed word still always changes the digest.
struct Chains {
  uint64_t lane[4] = {0xCBF29CE484222325ULL, 0x84222325CBF29CE4ULL, 0x9E3779B97F4A7C15ULL,
                      0xD1B54A32D192ED03ULL};

  uint64_t fold() const { return combine(combine(combine(lane[0], lane[1]), lane[2]), lane[3]); }
};

/// The word of `slot` that starts at byte `offset`, zero-padded past `bytes`.
uint64_t read_word(const uint8_t* slot, std::size_t offset, std::size_t bytes) {
  uint64_t word = 0;
  std::memcpy(&word, slot + offset, std::min<std::size_t>(8, bytes - offset));
  return word;
}

void full_slot(const uint8_t* slot, std::size_t bytes, Chains& chains) {
  std::size_t offset = 0;
  for (; offset + 32 <= bytes; offset += 32) {
    uint64_t words[4];
    std::memcpy(words, slot + offset, 32);
    for (int i = 0; i < 4; ++i) {
      chains.lane[i] = chain(chains.lane[i], words[i]);
    }
  }
  for (int i = 0; offset < bytes; offset += 8, ++i) {
    chains.lane[i] = chain(chains.lane[i], read_word(slot, offset, bytes));
  }
}

void full_position(const KvPool& pool, const int32_t* table, uint32_t position, Chains& chains) {
  const std::size_t bytes = pool.geometry().slot_bytes();
  for (uint32_t layer = 0; layer < pool.geometry().num_layers; ++layer) {
    for (uint32_t kv = 0; kv < 2; ++kv) {
      full_slot(pool.slot_at(table, position, layer, kv), bytes, chains);
    }
  }
}

void sampled_position(const KvPool& pool, const int32_t* table, uint32_t position, Chains& chains) {
  const std::size_t bytes = pool.geometry().slot_bytes();
  const uint32_t layers = pool.geometry().num_layers;
  const std::size_t last = bytes > 8 ? bytes - 8 : 0;
  uint64_t& h = chains.lane[0];
  h = chain(h, read_word(pool.slot_at(table, position, 0, 0), 0, bytes));
  h = chain(h, read_word(pool.slot_at(table, position, layers - 1, 1), last, bytes));
  const uint64_t pick = mix64(position + 0xD1B54A32D192ED03ULL);
  const uint32_t slot_index = static_cast<uint32_t>(pick % (uint64_t{layers} * 2));
  const std::size_t words = (bytes + 7) / 8;
  const std::size_t offset = static_cast<std::size_t>((pick >> 32) % words) * 8;
  h = chain(
      h, read_word(pool.slot_at(table, position, slot_index / 2, slot_index % 2), offset, bytes));
}

}  // namespace

uint64_t kv_digest(const KvPool& pool, const int32_t* block_table, uint32_t length, KvCheck check) {
  Chains chains;
  for (uint32_t position = 0; position < length; ++position) {
    if (check == KvCheck::kFull) {
      full_position(pool, block_table, position, chains);
    } else {
      sampled_position(pool, block_table, position, chains);
    }
  }
  return chains.fold();
}

}  // namespace disaggd::sim_backend
