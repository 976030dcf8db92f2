// The sim backend's options (see sim_options.h).
#include "sim_options.h"

#include <string>

#include "disaggd/sdk/error.hpp"
#include "disaggd/sdk/random.hpp"

namespace disaggd::sim_backend {
namespace {

using sdk::Error;

/// Longest configurable cost: 10 s per token, step or sequence.
constexpr double kMaxMicroseconds = 1e7;

disaggd_dtype parse_dtype(const std::string& text) {
  if (text == "float32") {
    return DISAGGD_DTYPE_F32;
  }
  if (text == "bfloat16") {
    return DISAGGD_DTYPE_BF16;
  }
  if (text == "float16") {
    return DISAGGD_DTYPE_F16;
  }
  throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
              "option 'dtype' must be float32, bfloat16 or float16, got '" + text + "'");
}

KvCheck parse_kv_check(const std::string& text) {
  if (text == "sampled") {
    return KvCheck::kSampled;
  }
  if (text == "full") {
    return KvCheck::kFull;
  }
  throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
              "option 'kv_check' must be sampled or full, got '" + text + "'");
}

}  // namespace

SimOptions parse_sim_options(sdk::Options& options) {
  SimOptions parsed;
  parsed.cost.prefill_us_per_token =
      options.get_float("prefill_us_per_token", 0.0, 0.0, kMaxMicroseconds);
  parsed.cost.decode_us_per_step =
      options.get_float("decode_us_per_step", 0.0, 0.0, kMaxMicroseconds);
  parsed.cost.decode_us_per_sequence =
      options.get_float("decode_us_per_sequence", 0.0, 0.0, kMaxMicroseconds);
  parsed.block_size = static_cast<uint32_t>(options.get_int("block_size", 16, 1, 1024));
  parsed.kv_blocks = static_cast<uint32_t>(options.get_int("kv_blocks", 0, 0, int64_t{1} << 31));
  parsed.kv_cache_mb =
      static_cast<uint64_t>(options.get_int("kv_cache_mb", 64, 1, int64_t{1} << 24));
  parsed.dtype = parse_dtype(options.get_string("dtype", "bfloat16"));
  parsed.seed = sdk::seed_option(options).value_or(0);
  parsed.kv_check = parse_kv_check(options.get_string("kv_check", "sampled"));
  return parsed;
}

const char* dtype_name(disaggd_dtype dtype) {
  switch (dtype) {
    case DISAGGD_DTYPE_F32:
      return "float32";
    case DISAGGD_DTYPE_F16:
      return "float16";
    default:
      return "bfloat16";
  }
}

}  // namespace disaggd::sim_backend
