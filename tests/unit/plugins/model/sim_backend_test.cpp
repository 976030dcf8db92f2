// The sim model backend loaded through the real plugin host, on the stories260K model folder and
// on a larger shape given as JSON only: the layout it reports, the exact KV bytes it writes (and
// nothing else), tokens that depend on the seed and on the cached KV (so a broken migration
// shows), batching, chunking and block placement that change nothing, bad options and batches
// refused with a reason, and a configured time that bounds a call from below.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <set>

#include "disaggd/migration.h"
#include "kv_pattern.h"
#include "model_test_support.h"
#include "next_token.h"

namespace disaggd::test {
namespace {

using ::testing::HasSubstr;
namespace sim = sim_backend;

/// A Qwen2.5-7B-like shape, as the daemon would describe it; the sim needs no weights.
const char* const kLargeShape = R"({"architecture": "qwen2", "vocab_size": 152064,
  "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
  "num_attention_heads": 28, "num_key_value_heads": 4, "head_dim": 128,
  "max_position_embeddings": 32768, "dtype": "bfloat16"})";

disaggd_status no_tensor(void* /*host*/, size_t /*index*/, disaggd_tensor_view* /*out*/) {
  return DISAGGD_STATUS_NOT_FOUND;
}

/// A weight source without tensors.
const disaggd_weight_source kNoWeights{sizeof(disaggd_weight_source), nullptr, 0, &no_tensor};

/// Creates the sim plugin on a model description given as JSON text.
core::Result<std::unique_ptr<core::ModelBackend>> create_sim(
    const std::string& json, const core::PluginOptions& options,
    const disaggd_weight_source& weights = kNoWeights) {
  core::PluginHost host({DISAGGD_TEST_PLUGIN_DIR});
  auto library = host.load(core::PluginKind::kModel, "sim");
  if (!library.ok()) {
    return library.status();
  }
  return core::ModelBackend::create(*library, json, weights, options);
}

LoadedModel load_sim(const core::PluginOptions& options) {
  return load_model(DISAGGD_TEST_MODEL_DIR, "sim", options);
}

/// The pool of `model` as bytes.
std::vector<uint8_t> pool_bytes(const LoadedModel& model) {
  const disaggd_kv_region& region = model.backend->kv_regions().at(0);
  const auto* base = static_cast<const uint8_t*>(region.base);
  return std::vector<uint8_t>(base, base + region.length);
}

/// Byte offset of a slot, computed from the reported layout alone.
uint64_t slot_offset(const disaggd_kv_layout& layout, int32_t block, uint32_t layer, uint32_t kv,
                     uint32_t offset) {
  const uint64_t element = layout.dtype == DISAGGD_DTYPE_F32 ? 4 : 2;
  const uint64_t slot = uint64_t{layout.num_kv_heads} * layout.head_dim * element;
  return static_cast<uint64_t>(block) * layout.bytes_per_block +
         ((uint64_t{layer} * 2 + kv) * layout.block_size + offset) * slot;
}

/// Writes into `pool` what the sim writes for tokens [seq.cached, seq.cached + count) of `seq`.
void expect_written(std::vector<uint8_t>& pool, const disaggd_kv_layout& layout, uint64_t seed,
                    const Sequence& seq, uint32_t count) {
  const std::size_t slot = static_cast<std::size_t>(layout.num_kv_heads) * layout.head_dim *
                           (layout.dtype == DISAGGD_DTYPE_F32 ? 4 : 2);
  for (uint32_t p = seq.cached; p < seq.cached + count; ++p) {
    const uint64_t token = sim::token_key(seed, seq.tokens[p], p);
    for (uint32_t layer = 0; layer < layout.num_layers; ++layer) {
      for (uint32_t kv = 0; kv < 2; ++kv) {
        sim::fill_slot(pool.data() + slot_offset(layout, seq.blocks[p / layout.block_size], layer,
                                                 kv, p % layout.block_size),
                       slot, sim::slot_key(token, layer, kv),
                       static_cast<disaggd_dtype>(layout.dtype));
      }
    }
  }
}

/// Index of the first differing byte, or -1.
int64_t first_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  const auto [left, right] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return left == a.end() && right == b.end() ? -1 : left - a.begin();
}

const std::vector<int32_t> kPrompt = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376,
                                      298, 315, 421, 395, 317, 426, 338, 401, 396};

TEST(SimBackendTest, ReportsTheModelsKvLayoutInTheChosenDtypeAndPoolSize) {
  LoadedModel model = load_sim({});
  ASSERT_NE(model.backend, nullptr);
  const disaggd_kv_layout& layout = model.backend->kv_layout();
  EXPECT_EQ(layout.num_layers, 5u);
  EXPECT_EQ(layout.num_kv_heads, 4u);
  EXPECT_EQ(layout.head_dim, 8u);
  EXPECT_EQ(layout.block_size, 16u);
  EXPECT_EQ(layout.dtype, static_cast<uint32_t>(DISAGGD_DTYPE_BF16));
  EXPECT_EQ(layout.bytes_per_block, 5u * 2 * 16 * 4 * 8 * 2);  // layers, K+V, tokens, heads, dim
  EXPECT_EQ(layout.num_blocks, 64u * 1024 * 1024 / layout.bytes_per_block);
  ASSERT_EQ(model.backend->kv_regions().size(), 1u);
  const disaggd_kv_region& region = model.backend->kv_regions()[0];
  EXPECT_NE(region.base, nullptr);
  EXPECT_EQ(region.length, layout.bytes_per_block * layout.num_blocks);
  EXPECT_EQ(region.kind, static_cast<uint32_t>(DISAGGD_MEMORY_HOST));
  EXPECT_EQ(region.device_id, -1);
  EXPECT_EQ(model.backend->info().name, "sim");

  for (auto [dtype, name, element] :
       {std::tuple{DISAGGD_DTYPE_F32, "float32", 4u}, std::tuple{DISAGGD_DTYPE_F16, "float16", 2u},
        std::tuple{DISAGGD_DTYPE_BF16, "bfloat16", 2u}}) {
    LoadedModel other =
        load_sim({option("dtype", name), option("block_size", "4"), option("kv_blocks", "10")});
    ASSERT_NE(other.backend, nullptr) << name;
    EXPECT_EQ(other.backend->kv_layout().dtype, static_cast<uint32_t>(dtype)) << name;
    EXPECT_EQ(other.backend->kv_layout().block_size, 4u);
    EXPECT_EQ(other.backend->kv_layout().num_blocks, 10u);
    EXPECT_EQ(other.backend->kv_layout().bytes_per_block, 5u * 2 * 4 * 4 * 8 * element);
    EXPECT_EQ(other.backend->kv_regions()[0].length, 10u * 5 * 2 * 4 * 4 * 8 * element);
  }
  LoadedModel sized = load_sim({option("kv_cache_mb", "3")});
  ASSERT_NE(sized.backend, nullptr);
  EXPECT_EQ(sized.backend->kv_layout().num_blocks, 3u * 1024 * 1024 / (5 * 2 * 16 * 4 * 8 * 2));
}

TEST(SimBackendTest, ALargeShapeNeedsOnlyItsDescriptionAndNoWeightData) {
  // One tensor whose data cannot be read at all: the sim must never touch it.
  const std::size_t page = 4096;
  void* guarded = ::mmap(nullptr, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(guarded, MAP_FAILED);
  struct Source {
    void* data;
    int64_t shape[1] = {1024};
  } source{guarded};
  const auto get = [](void* host, size_t /*index*/, disaggd_tensor_view* out) {
    auto* s = static_cast<Source*>(host);
    out->name = {"model.embed_tokens.weight", 25};
    out->dtype = DISAGGD_DTYPE_F32;
    out->rank = 1;
    out->shape = s->shape;
    out->data = {static_cast<const uint8_t*>(s->data), 4096};
    return DISAGGD_STATUS_OK;
  };
  const disaggd_weight_source weights{sizeof(disaggd_weight_source), &source, 1, get};

  auto backend = create_sim(kLargeShape, {option("kv_cache_mb", "64")}, weights);
  ASSERT_TRUE(backend.ok()) << backend.status().message();
  const disaggd_kv_layout& layout = (*backend)->kv_layout();
  EXPECT_EQ(layout.num_layers, 28u);
  EXPECT_EQ(layout.num_kv_heads, 4u);
  EXPECT_EQ(layout.head_dim, 128u);
  EXPECT_EQ(layout.bytes_per_block, 28u * 2 * 16 * 4 * 128 * 2);
  EXPECT_EQ(layout.num_blocks, 64u * 1024 * 1024 / layout.bytes_per_block);

  // A prompt crossing a block boundary, then a decode step: tokens come out, from the large
  // vocabulary, never 0-2.
  Sequence seq{{1, 151000, 42, 7, 99, 100, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 0, {3, 1}};
  std::vector<float> logits(152064);
  std::vector<disaggd_forward_sequence> slices = {slice(seq, 18, true)};
  ASSERT_TRUE((*backend)->forward(slices, logits).ok());
  const int32_t next = argmax(logits.data(), logits.size());
  EXPECT_GE(next, sim::kFirstPredictedToken);
  EXPECT_EQ(logits[next], sim::kPredictedLogit);
  seq.cached = 18;
  seq.tokens.push_back(next);
  slices = {slice(seq, 1, true)};
  ASSERT_TRUE((*backend)->forward(slices, logits).ok());
  EXPECT_GE(argmax(logits.data(), logits.size()), sim::kFirstPredictedToken);
  backend->reset();
  ::munmap(guarded, page);
}

TEST(SimBackendTest, KvBytesLandExactlyInTheSlotsOfTheProcessedPositions) {
  for (const char* dtype : {"bfloat16", "float32", "float16"}) {
    LoadedModel model = load_sim({option("dtype", dtype), option("block_size", "4"),
                                  option("kv_blocks", "8"), option("seed", "11")});
    ASSERT_NE(model.backend, nullptr);
    const disaggd_kv_layout& layout = model.backend->kv_layout();
    std::vector<uint8_t> expected(pool_bytes(model).size(), 0);
    ASSERT_EQ(pool_bytes(model), expected) << "the pool starts zeroed";

    // Positions 0-5, then 6-9 (crossing into the third block), then one decode token at 10.
    Sequence seq{{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298}, 0, {6, 2, 5}};
    for (uint32_t count : {6u, 4u, 1u}) {
      expect_written(expected, layout, 11, seq, count);
      step(model, {&seq}, {count});
      EXPECT_EQ(first_difference(pool_bytes(model), expected), -1)
          << dtype << ", after positions up to " << seq.cached;
    }
    // A slice that wants no logits writes its KV all the same.
    Sequence other{{7, 8, 9}, 0, {0}};
    expect_written(expected, layout, 11, other, 3);
    std::vector<float> logits(model.vocab());
    const std::vector<disaggd_forward_sequence> slices = {slice(other, 3, false)};
    ASSERT_TRUE(model.backend->forward(slices, logits).ok());
    EXPECT_EQ(first_difference(pool_bytes(model), expected), -1) << dtype;
  }
}

TEST(SimBackendTest, TheSameSeedGivesTheSameTokensAndAnotherSeedOthers) {
  LoadedModel a = load_sim({option("seed", "7"), option("kv_blocks", "16")});
  LoadedModel b = load_sim({option("seed", "7"), option("kv_blocks", "16")});
  LoadedModel c = load_sim({option("seed", "8"), option("kv_blocks", "16")});
  LoadedModel unseeded = load_sim({option("kv_blocks", "16")});
  LoadedModel zero = load_sim({option("seed", "0"), option("kv_blocks", "16")});
  for (LoadedModel* m : {&a, &b, &c, &unseeded, &zero}) {
    ASSERT_NE(m->backend, nullptr);
  }
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378};
  const std::vector<int32_t> first = greedy(a, prompt, 40, contiguous_blocks(0, 45, 16));
  EXPECT_EQ(greedy(b, prompt, 40, contiguous_blocks(5, 45, 16)), first);
  EXPECT_NE(greedy(c, prompt, 40, contiguous_blocks(0, 45, 16)), first);
  EXPECT_EQ(greedy(unseeded, prompt, 40, contiguous_blocks(0, 45, 16)),
            greedy(zero, prompt, 40, contiguous_blocks(0, 45, 16)));
  EXPECT_EQ(pool_bytes(a), [&] {
    std::vector<uint8_t> moved = pool_bytes(b);  // b used blocks 5-7 for what a has in 0-2
    const uint64_t block = a.backend->kv_layout().bytes_per_block;
    std::memmove(moved.data(), moved.data() + 5 * block, 3 * block);
    std::fill(moved.begin() + 3 * block, moved.end(), 0);
    return moved;
  }());
  for (int32_t token : first) {
    EXPECT_GE(token, sim::kFirstPredictedToken);
    EXPECT_LT(token, 512);
  }
  // Generation does not just repeat one token.
  EXPECT_GT(std::set<int32_t>(first.begin(), first.end()).size(), 20u);
}

TEST(SimBackendTest, BatchingChunkingAndBlockPlacementChangeNothing) {
  LoadedModel model = load_sim({option("kv_blocks", "64")});
  ASSERT_NE(model.backend, nullptr);
  const std::size_t vocab = model.vocab();
  const std::vector<std::vector<int32_t>> prompts = {{1, 403, 407, 261, 378}, kPrompt, {1, 300}};
  std::vector<std::vector<float>> alone;
  for (const auto& prompt : prompts) {
    Sequence seq{prompt, 0, contiguous_blocks(0, prompt.size(), 16)};
    alone.push_back(step(model, {&seq}, {static_cast<uint32_t>(prompt.size())}));
  }
  // Together, in other blocks, the middle one without logits: the others' logits are packed.
  std::vector<Sequence> together;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    together.push_back(
        {prompts[i], 0,
         contiguous_blocks(static_cast<int32_t>(10 + 10 * i), prompts[i].size(), 16)});
  }
  std::vector<float> packed(2 * vocab);
  const std::vector<disaggd_forward_sequence> slices = {
      slice(together[0], 5, true), slice(together[1], 19, false), slice(together[2], 2, true)};
  const core::Status status = model.backend->forward(slices, packed);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(std::vector<float>(packed.begin(), packed.begin() + vocab), alone[0]);
  EXPECT_EQ(std::vector<float>(packed.begin() + vocab, packed.end()), alone[2]);

  // The long prompt in chunks of 7, 7, 5, beside a decode of another sequence, in scattered blocks.
  Sequence chunked{kPrompt, 0, {41, 33}};
  Sequence solo{{1, 291, 376, 400}, 0, {50}};
  step(model, {&chunked, &solo}, {7, 3});
  const std::vector<float> second = step(model, {&solo, &chunked}, {1, 7});
  const std::vector<float> third = step(model, {&chunked}, {5});
  EXPECT_EQ(third, alone[1]);
  Sequence solo_alone{{1, 291, 376, 400}, 0, {60}};
  step(model, {&solo_alone}, {3});
  EXPECT_EQ(std::vector<float>(second.begin(), second.begin() + vocab),
            step(model, {&solo_alone}, {1}));

  // Another block size is another layout, but the same tokens.
  LoadedModel small_blocks = load_sim({option("kv_blocks", "64"), option("block_size", "4")});
  ASSERT_NE(small_blocks.backend, nullptr);
  EXPECT_EQ(greedy(small_blocks, kPrompt, 20, contiguous_blocks(0, 39, 4)),
            greedy(model, kPrompt, 20, contiguous_blocks(0, 39, 16)));
}

/// Prefills kPrompt into blocks {30, 31}, copies them to {90, 60} as a migration would, lets
/// `damage` change the copy, and returns the logits of one decode step from the original and from
/// the copy.
template <class Damage>
std::pair<std::vector<float>, std::vector<float>> decode_after_copy(LoadedModel& model,
                                                                    Damage damage) {
  Sequence original{kPrompt, 0, {30, 31}};
  step(model, {&original}, {static_cast<uint32_t>(kPrompt.size())});
  const disaggd_kv_layout& layout = model.backend->kv_layout();
  auto* pool = static_cast<uint8_t*>(model.backend->kv_regions()[0].base);
  Sequence moved = original;
  moved.blocks = {90, 60};
  for (std::size_t i = 0; i < 2; ++i) {
    std::memcpy(pool + moved.blocks[i] * layout.bytes_per_block,
                pool + original.blocks[i] * layout.bytes_per_block, layout.bytes_per_block);
  }
  damage(pool, layout, moved);
  original.tokens.push_back(267);
  moved.tokens.push_back(267);
  std::vector<float> from_original = step(model, {&original}, {1});
  return {std::move(from_original), step(model, {&moved}, {1})};
}

void expect_other_token(const std::pair<std::vector<float>, std::vector<float>>& logits,
                        std::size_t vocab, const std::string& what) {
  EXPECT_NE(logits.first, logits.second) << what;
  EXPECT_NE(argmax(logits.first.data(), vocab), argmax(logits.second.data(), vocab)) << what;
}

TEST(SimBackendTest, CopiedKvContinuesTheSequenceAndDamagedKvChangesTheNextToken) {
  for (const char* check : {"sampled", "full"}) {
    LoadedModel model = load_sim({option("kv_blocks", "128"), option("kv_check", check)});
    ASSERT_NE(model.backend, nullptr);
    const std::size_t vocab = model.vocab();
    const auto intact =
        decode_after_copy(model, [](uint8_t*, const disaggd_kv_layout&, const Sequence&) {});
    EXPECT_EQ(intact.first, intact.second) << check;

    // One flipped bit in the first key element of layer 0 at position 3.
    expect_other_token(
        decode_after_copy(model,
                          [](uint8_t* pool, const disaggd_kv_layout& layout, const Sequence& seq) {
                            pool[slot_offset(layout, seq.blocks[0], 0, 0, 3)] ^= 0x01;
                          }),
        vocab, std::string(check) + ": flipped bit");
    // The second block never arrived (still zero).
    expect_other_token(
        decode_after_copy(model,
                          [](uint8_t* pool, const disaggd_kv_layout& layout, const Sequence& seq) {
                            std::memset(pool + seq.blocks[1] * layout.bytes_per_block, 0,
                                        layout.bytes_per_block);
                          }),
        vocab, std::string(check) + ": missing block");
    // The blocks arrived swapped.
    expect_other_token(
        decode_after_copy(
            model,
            [](uint8_t* pool, const disaggd_kv_layout& layout, const Sequence& seq) {
              std::vector<uint8_t> first(pool + seq.blocks[0] * layout.bytes_per_block,
                                         pool + (seq.blocks[0] + 1) * layout.bytes_per_block);
              std::memcpy(pool + seq.blocks[0] * layout.bytes_per_block,
                          pool + seq.blocks[1] * layout.bytes_per_block, layout.bytes_per_block);
              std::memcpy(pool + seq.blocks[1] * layout.bytes_per_block, first.data(),
                          layout.bytes_per_block);
            }),
        vocab, std::string(check) + ": swapped blocks");
    // Only the first half of the second block arrived.
    expect_other_token(
        decode_after_copy(model,
                          [](uint8_t* pool, const disaggd_kv_layout& layout, const Sequence& seq) {
                            const uint64_t half = layout.bytes_per_block / 2;
                            std::memset(pool + seq.blocks[1] * layout.bytes_per_block + half, 0,
                                        half);
                          }),
        vocab, std::string(check) + ": truncated block");
  }
  // kv_check full also sees one bit in the middle of any slot.
  LoadedModel full = load_sim({option("kv_blocks", "128"), option("kv_check", "full")});
  ASSERT_NE(full.backend, nullptr);
  expect_other_token(
      decode_after_copy(full,
                        [](uint8_t* pool, const disaggd_kv_layout& layout, const Sequence& seq) {
                          pool[slot_offset(layout, seq.blocks[0], 2, 1, 5) + 37] ^= 0x01;
                        }),
      full.vocab(), "full: a bit in the middle of layer 2's values");
}

TEST(SimBackendTest, BadBatchesAreRefusedWithAReasonAndTheModelKeepsWorking) {
  LoadedModel model = load_sim({option("kv_blocks", "64")});
  ASSERT_NE(model.backend, nullptr);
  const std::size_t vocab = model.vocab();
  auto forward = [&](std::vector<disaggd_forward_sequence> slices, std::size_t room) {
    std::vector<float> out(room);
    return model.backend->forward(slices, out);
  };
  Sequence seq{{1, 403, 407}, 0, {63}};
  disaggd_forward_sequence outside = slice(seq, 3, true);
  const int32_t too_far[] = {64};
  outside.block_table = too_far;
  EXPECT_THAT(forward({outside}, vocab).message(),
              HasSubstr("block id 64 is outside the pool of 64"));
  const int32_t bad_tokens[] = {1, 512};
  disaggd_forward_sequence bad_token = slice(seq, 2, true);
  bad_token.tokens = bad_tokens;
  EXPECT_THAT(forward({bad_token}, vocab).message(),
              HasSubstr("token id 512 is outside the vocabulary"));
  EXPECT_THAT(forward({slice(seq, 3, true)}, vocab - 1).message(), HasSubstr("logits buffer"));

  Sequence beyond{std::vector<int32_t>(513, 1), 511, contiguous_blocks(0, 520, 16)};
  const std::vector<uint8_t> before = pool_bytes(model);
  EXPECT_THAT(forward({slice(seq, 3, true), slice(beyond, 2, true)}, 2 * vocab).message(),
              HasSubstr("sequence 1 goes beyond max_position_embeddings 512"));
  EXPECT_EQ(pool_bytes(model), before) << "a refused batch writes nothing";
  EXPECT_TRUE(forward({slice(beyond, 1, true)}, vocab).ok());  // position 511 is the last
  EXPECT_EQ(forward({}, vocab).code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(forward({slice(seq, 3, true)}, vocab).ok());
}

TEST(SimBackendTest, BadOptionsAndModelDescriptionsAreRefusedWithClearMessages) {
  const auto message = [](const core::PluginOptions& options,
                          const std::string& json = kLargeShape) {
    auto backend = create_sim(json, options);
    EXPECT_FALSE(backend.ok());
    return backend.ok() ? std::string() : backend.status().message();
  };
  EXPECT_THAT(message({option("blok_size", "8")}),
              HasSubstr("unknown option 'blok_size' (did you mean 'block_size'?)"));
  EXPECT_THAT(message({option("prefill_us_per_tokens", "8")}),
              HasSubstr("did you mean 'prefill_us_per_token'?"));
  EXPECT_THAT(message({option("dtype", "int8")}),
              HasSubstr("option 'dtype' must be float32, bfloat16 or float16, got 'int8'"));
  EXPECT_THAT(message({option("dtype", "auto")}), HasSubstr("option 'dtype' must be"));
  EXPECT_THAT(message({option("kv_check", "most")}),
              HasSubstr("option 'kv_check' must be sampled or full, got 'most'"));
  EXPECT_THAT(message({option("block_size", "0")}),
              HasSubstr("option 'block_size' must be an integer from 1 to 1024"));
  EXPECT_THAT(message({option("kv_blocks", "-1")}), HasSubstr("option 'kv_blocks'"));
  EXPECT_THAT(message({option("kv_cache_mb", "0")}), HasSubstr("option 'kv_cache_mb'"));
  EXPECT_THAT(message({option("seed", "-3")}), HasSubstr("option 'seed'"));
  EXPECT_THAT(message({option("prefill_us_per_token", "-1")}),
              HasSubstr("option 'prefill_us_per_token' must be a number from"));
  EXPECT_THAT(message({option("decode_us_per_step", "slow")}),
              HasSubstr("option 'decode_us_per_step' must be a number"));
  EXPECT_THAT(message({option("decode_us_per_sequence", "true")}),
              HasSubstr("option 'decode_us_per_sequence' must be a number"));

  EXPECT_THAT(message({}, "[1, 2]"), HasSubstr("model description is not a JSON object"));
  EXPECT_THAT(message({}, R"({"num_hidden_layers": 2, "head_dim": 8, "vocab_size": 100,
                              "max_position_embeddings": 64})"),
              HasSubstr("model description: num_key_value_heads: expected an integer"));
  EXPECT_THAT(message({}, R"({"num_hidden_layers": 2, "num_key_value_heads": 1, "head_dim": 0,
                              "vocab_size": 100, "max_position_embeddings": 64})"),
              HasSubstr("head_dim"));
  EXPECT_THAT(message({}, R"({"num_hidden_layers": 2, "num_key_value_heads": 1, "head_dim": 8,
                              "vocab_size": 3, "max_position_embeddings": 64})"),
              HasSubstr("model description: vocab_size: expected an integer from 4"));

  // The smallest model the sim accepts works, and only ever says 3.
  auto tiny = create_sim(R"({"num_hidden_layers": 1, "num_key_value_heads": 1, "head_dim": 1,
                             "vocab_size": 4, "max_position_embeddings": 8})",
                         {option("kv_blocks", "2"), option("block_size", "1")});
  ASSERT_TRUE(tiny.ok()) << tiny.status().message();
  EXPECT_EQ((*tiny)->kv_layout().bytes_per_block, 2u * 1 * 1 * 1 * 2);
  const int32_t tokens[] = {0, 1};
  const int32_t blocks[] = {1, 0};
  std::vector<float> logits(4);
  const std::vector<disaggd_forward_sequence> slices = {{tokens, 2, 0, blocks, 2, 1}};
  ASSERT_TRUE((*tiny)->forward(slices, logits).ok());
  EXPECT_EQ(argmax(logits.data(), 4), 3);
}

TEST(SimBackendTest, AConfiguredTimeIsALowerBoundOnTheCall) {
  LoadedModel model =
      load_sim({option("kv_blocks", "16"), option("prefill_us_per_token", "3000"),
                option("decode_us_per_step", "10000"), option("decode_us_per_sequence", "2000")});
  ASSERT_NE(model.backend, nullptr);
  using Clock = std::chrono::steady_clock;
  const auto timed = [&](std::vector<Sequence*> sequences, std::vector<uint32_t> counts) {
    const Clock::time_point start = Clock::now();
    step(model, std::move(sequences), counts);
    return Clock::now() - start;
  };
  Sequence a{{1, 403, 407, 261, 378, 432, 383, 286, 261}, 0, {0}};
  Sequence b{{1, 291, 376, 400, 428, 286}, 0, {1}};
  // Prompts only: 8 + 4 tokens at 3 ms.
  EXPECT_GE(timed({&a, &b}, {8, 4}), std::chrono::milliseconds(36));
  // Two decode sequences: 10 ms for the step, 2 ms each.
  EXPECT_GE(timed({&a, &b}, {1, 1}), std::chrono::milliseconds(14));
  // A prompt chunk of 2 and a decode sequence together: 2 * 3 ms + 10 ms + 2 ms.
  Sequence c{{1, 300, 301, 302}, 0, {2}};
  step(model, {&c}, {1});
  EXPECT_GE(timed({&c, &b}, {2, 1}), std::chrono::milliseconds(18));
}

}  // namespace
}  // namespace disaggd::test
