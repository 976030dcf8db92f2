// The sim backend's options (node.backend_options), typed and range-checked.
#pragma once

#include <cstdint>

#include "disaggd/model.h"
#include "disaggd/sdk/options.hpp"
#include "kv_digest.h"
#include "step_time.h"

namespace disaggd::sim_backend {

/// Everything the sim backend can be told; see docs/sim-backend.md.
struct SimOptions {
  StepCost cost;                             ///< prefill_us_per_token, decode_us_per_*.
  uint32_t block_size = 16;                  ///< Tokens per KV block.
  uint32_t kv_blocks = 0;                    ///< Blocks in the pool; 0: from kv_cache_mb.
  uint64_t kv_cache_mb = 64;                 ///< Pool size in MiB when kv_blocks is 0.
  disaggd_dtype dtype = DISAGGD_DTYPE_BF16;  ///< Element type of the pool.
  uint64_t seed = 0;                         ///< Changes every KV byte and every token.
  KvCheck kv_check = KvCheck::kSampled;      ///< How much KV the next token reads back.
};

/// Reads the options; throws disaggd::sdk::Error naming the bad one. Unknown keys are refused by
/// the SDK afterwards.
SimOptions parse_sim_options(sdk::Options& options);

/// The option's spelling of `dtype` (float32, bfloat16, float16).
const char* dtype_name(disaggd_dtype dtype);

}  // namespace disaggd::sim_backend
