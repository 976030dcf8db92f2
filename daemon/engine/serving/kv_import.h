// KvImport: what a decode node's generation brings from the prefill node — where the prompt's KV
// is, the first token the prefill sampled, and the puller that copies the KV into local blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace disaggd::engine {

/// A copy of prompt KV from a prefill node into local blocks, in progress. Destroying it cancels
/// the copy (the destination bytes are then undefined). Used by one thread at a time.
class KvPull {
 public:
  virtual ~KvPull() = default;
  /// true when every byte has landed, false while the copy runs, an error when it failed (the
  /// caller then recomputes the prompt). Never blocks.
  virtual core::Result<bool> poll() = 0;
};

/// Starts pulls, over a migration plugin. Thread-safe; lives as long as the node.
class KvPuller {
 public:
  virtual ~KvPuller() = default;
  /// Starts copying the blocks `remote_blocks` of the prefill node whose migration endpoint is
  /// `source` (JSON, from the cache handle) into `local_blocks` (same count, same layout), without
  /// blocking: connecting to a new peer happens inside the pull.
  virtual core::Result<std::unique_ptr<KvPull>> start(const std::string& source,
                                                      std::span<const int32_t> remote_blocks,
                                                      std::span<const int32_t> local_blocks) = 0;
};

/// The prefill's part of a generation, for GenerationRequest::import.
struct KvImport {
  std::string source;                  ///< The prefill's migration endpoint (JSON).
  std::vector<int32_t> remote_blocks;  ///< Its blocks holding the prompt's KV, in order.
  uint32_t num_tokens = 0;             ///< Prompt positions in them (= the prompt's length).
  int32_t first_token = -1;            ///< The token the prefill sampled after the prompt.
  float first_logprob = 0.0f;          ///< Its log-probability.
  std::shared_ptr<KvPuller> puller;    ///< Never null.
  /// Called once by the engine's step thread when the prefill's copy is no longer needed (pulled,
  /// failed, or the generation ended first); must not block. May be empty.
  std::function<void()> on_settled;
};

}  // namespace disaggd::engine
