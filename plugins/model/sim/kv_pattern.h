// The bytes the sim backend writes into the KV pool: for every processed token, a deterministic
// function of (seed, token id, position, layer, key/value, element index). Never depends on the
// block a slot lives in, so a block copied elsewhere (a migration) still holds the right bytes.
// Part of the disaggd_sim_core library, which tests link to check the pool byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>

#include "disaggd/model.h"

namespace disaggd::sim_backend {

/// The splitmix64 finaliser: a bijective 64-bit mix.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

/// Folds `value` into the hash `h`.
constexpr uint64_t combine(uint64_t h, uint64_t value) {
  return mix64(h ^ mix64(value + 0x9E3779B97F4A7C15ULL));
}

/// Key of one token at one position (shared by all its layers), under `seed`.
constexpr uint64_t token_key(uint64_t seed, int32_t token, uint32_t position) {
  return combine(combine(mix64(seed), static_cast<uint32_t>(token)), position);
}

/// Key of the slot of layer `layer`, keys (`kv` 0) or values (`kv` 1), of a token whose
/// token_key() is `token`.
constexpr uint64_t slot_key(uint64_t token, uint32_t layer, uint32_t kv) {
  return combine(combine(token, layer), kv);
}

/// Word `index` (8 bytes, elements in memory order) of the slot whose slot_key() is `key`, with
/// every element of `dtype` (F32, BF16 or F16) a finite normal number of magnitude in [2^-7, 2):
/// random sign, mantissa and low exponent bits; the top exponent bits fixed.
uint64_t slot_word(uint64_t key, std::size_t index, disaggd_dtype dtype);

/// Writes the `bytes` bytes of the slot whose slot_key() is `key` to `out` (a whole number of
/// elements; the last word is cut short when `bytes` is not a multiple of 8).
void fill_slot(uint8_t* out, std::size_t bytes, uint64_t key, disaggd_dtype dtype);

}  // namespace disaggd::sim_backend
