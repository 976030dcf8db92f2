// CacheHandleTable: KV blocks a prefill node keeps after a prompt ran, each set under a handle
// that a decode node names when it pulls them, until released or until its time to live ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace disaggd::engine {

/// The KV of one prompt kept for migration.
struct KeptCache {
  std::string handle_id;        ///< Random, unguessable; never the public response id.
  std::vector<int32_t> blocks;  ///< Pool blocks holding positions [0, num_tokens), in order.
  uint32_t num_tokens = 0;      ///< Prompt positions whose keys and values are in `blocks`.
  int32_t first_token = -1;     ///< The token sampled after the prompt.
  float first_logprob = 0.0f;   ///< Its log-probability.
  std::chrono::steady_clock::time_point expires;
};

/// Not thread-safe: the engine's step thread owns it (the blocks it names are the engine's).
class CacheHandleTable {
 public:
  /// `seed` 0 seeds from std::random_device.
  explicit CacheHandleTable(uint64_t seed = 0);

  /// Keeps `blocks` under a new handle that expires at `expires`; returns what was stored.
  const KeptCache& add(std::vector<int32_t> blocks, uint32_t num_tokens, int32_t first_token,
                       float first_logprob, std::chrono::steady_clock::time_point expires);
  /// Removes and returns the handle's entry; nullopt for an unknown (or already released) id.
  std::optional<KeptCache> take(const std::string& handle_id);
  /// Removes and returns every entry that expired at `now`.
  std::vector<KeptCache> take_expired(std::chrono::steady_clock::time_point now);
  /// Removes and returns everything (shutdown).
  std::vector<KeptCache> take_all();
  /// The earliest expiry, if any handle is held.
  std::optional<std::chrono::steady_clock::time_point> next_expiry() const;
  std::size_t size() const { return entries_.size(); }

 private:
  std::string new_handle_id();

  std::mt19937_64 random_;
  std::map<std::string, KeptCache> entries_;
};

}  // namespace disaggd::engine
