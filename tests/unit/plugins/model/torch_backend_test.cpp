// The torch model backend on the real stories260K model: exact greedy reference outputs, batching,
// chunked prefill and block placement that do not change results, the KV layout it reports, and
// clear errors for bad batches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "disaggd/migration.h"
#include "model_test_support.h"

namespace disaggd::test {
namespace {

using ::testing::HasSubstr;

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(std::string(DISAGGD_TEST_MODEL_DIR) + "/" + name);
  return nlohmann::json::parse(in);
}

class TorchBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new LoadedModel(load_model(DISAGGD_TEST_MODEL_DIR, "torch",
                                        {option("kv_blocks", "256"), option("threads", "1")}));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(model_->backend, nullptr); }

  static LoadedModel* model_;
};

LoadedModel* TorchBackendTest::model_ = nullptr;

TEST_F(TorchBackendTest, ReportsTheKvLayoutOfTheModel) {
  const disaggd_kv_layout& layout = model_->backend->kv_layout();
  EXPECT_EQ(layout.num_layers, 5u);
  EXPECT_EQ(layout.num_kv_heads, 4u);
  EXPECT_EQ(layout.head_dim, 8u);
  EXPECT_EQ(layout.block_size, 16u);
  EXPECT_EQ(layout.dtype, static_cast<uint32_t>(DISAGGD_DTYPE_F32));
  EXPECT_EQ(layout.num_blocks, 256u);
  EXPECT_EQ(layout.bytes_per_block, 5u * 2 * 16 * 4 * 8 * 4);  // layers, K+V, tokens, heads, dim
  ASSERT_EQ(model_->backend->kv_regions().size(), 1u);
  const disaggd_kv_region& region = model_->backend->kv_regions()[0];
  EXPECT_NE(region.base, nullptr);
  EXPECT_EQ(region.length, layout.bytes_per_block * layout.num_blocks);
  EXPECT_EQ(region.kind, static_cast<uint32_t>(DISAGGD_MEMORY_HOST));
}

TEST_F(TorchBackendTest, GreedyGenerationReproducesEveryReferenceCase) {
  const nlohmann::json reference = read_json("reference.json");
  ASSERT_FALSE(reference["cases"].empty());
  for (const auto& c : reference["cases"]) {
    const auto prompt = c["prompt_ids"].get<std::vector<int32_t>>();
    const auto expected = c["generated_ids"].get<std::vector<int32_t>>();
    const std::vector<int32_t> generated =
        greedy(*model_, prompt, expected.size(),
               contiguous_blocks(0, prompt.size() + expected.size(), model_->block_size()));
    EXPECT_EQ(generated, expected) << "prompt: " << c["prompt"];
  }
}

TEST_F(TorchBackendTest, LogitsAfterThePromptMatchTheReference) {
  const nlohmann::json reference = read_json("reference_logits.json");
  for (const auto& c : reference["cases"]) {
    Sequence seq{c["prompt_ids"].get<std::vector<int32_t>>(), 0, {}};
    seq.blocks = contiguous_blocks(0, seq.tokens.size(), model_->block_size());
    const std::vector<float> logits =
        step(*model_, {&seq}, {static_cast<uint32_t>(seq.tokens.size())});
    const auto expected = c["logits_after_prompt"].get<std::vector<float>>();
    ASSERT_EQ(expected.size(), model_->vocab());
    EXPECT_LT(max_abs_diff(logits.data(), expected.data(), expected.size()), 2e-4f)
        << "prompt: " << c["prompt"];
  }
}

TEST_F(TorchBackendTest, ABatchOfDifferentLengthsEqualsEachSequenceAlone) {
  const std::vector<std::vector<int32_t>> prompts = {
      {1, 403, 407, 261, 378}, {1, 291, 376, 400, 428, 286, 261, 376, 298, 315, 421}, {1, 300}};
  const std::size_t vocab = model_->vocab();
  std::vector<std::vector<float>> alone;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    Sequence seq{prompts[i], 0, contiguous_blocks(0, prompts[i].size(), model_->block_size())};
    alone.push_back(step(*model_, {&seq}, {static_cast<uint32_t>(prompts[i].size())}));
  }
  std::vector<Sequence> together;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    together.push_back(
        {prompts[i], 0,
         contiguous_blocks(static_cast<int32_t>(10 * i), prompts[i].size(), model_->block_size())});
  }
  const std::vector<float> batched =
      step(*model_, {&together[0], &together[1], &together[2]},
           {static_cast<uint32_t>(prompts[0].size()), static_cast<uint32_t>(prompts[1].size()),
            static_cast<uint32_t>(prompts[2].size())});
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_LT(max_abs_diff(batched.data() + i * vocab, alone[i].data(), vocab), 1e-4f)
        << "sequence " << i;
  }
}

TEST_F(TorchBackendTest, PrefillChunksAndDecodeTokensMixInOneBatch) {
  const std::vector<int32_t> long_prompt = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376,
                                            298, 315, 421, 395, 317, 426, 338, 401, 396, 267};
  const std::size_t vocab = model_->vocab();
  // Reference: the long prompt prefilled at once, and a short one decoded alone.
  Sequence whole{long_prompt, 0, contiguous_blocks(0, long_prompt.size(), model_->block_size())};
  const std::vector<float> whole_logits =
      step(*model_, {&whole}, {static_cast<uint32_t>(long_prompt.size())});
  Sequence solo{{1, 291, 376, 400}, 0, contiguous_blocks(4, 8, model_->block_size())};
  step(*model_, {&solo}, {3});
  const std::vector<float> solo_next = step(*model_, {&solo}, {1});

  // Now: the long prompt in chunks of 7, 7, 6 while the short one prefills then decodes beside it.
  Sequence chunked{long_prompt, 0, contiguous_blocks(8, long_prompt.size(), model_->block_size())};
  Sequence mixed{{1, 291, 376, 400}, 0, contiguous_blocks(12, 8, model_->block_size())};
  step(*model_, {&chunked, &mixed}, {7, 3});
  const std::vector<float> second = step(*model_, {&mixed, &chunked}, {1, 7});
  const std::vector<float> third = step(*model_, {&chunked}, {6});
  EXPECT_LT(max_abs_diff(second.data(), solo_next.data(), vocab), 1e-4f);
  EXPECT_LT(max_abs_diff(third.data(), whole_logits.data(), vocab), 1e-4f);
}

TEST_F(TorchBackendTest, ScatteredBlocksGiveTheSameResultAsContiguousOnes) {
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378};
  const std::vector<int32_t> contiguous =
      greedy(*model_, prompt, 40, contiguous_blocks(0, 64, model_->block_size()));
  const std::vector<int32_t> scattered = greedy(*model_, prompt, 40, {201, 17, 143, 99});
  EXPECT_EQ(scattered, contiguous);
}

TEST_F(TorchBackendTest, KvBlocksCopiedInsideThePoolContinueTheSequence) {
  // What a migration does: copy a sequence's blocks byte for byte to other blocks; decoding from
  // the copies must give what decoding from the originals gives.
  Sequence original{
      {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396},
      0,
      {30, 31}};
  step(*model_, {&original}, {static_cast<uint32_t>(original.tokens.size())});
  const disaggd_kv_layout& layout = model_->backend->kv_layout();
  auto* pool = static_cast<uint8_t*>(model_->backend->kv_regions()[0].base);
  const std::vector<int32_t> targets = {90, 60};
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::memcpy(pool + targets[i] * layout.bytes_per_block,
                pool + original.blocks[i] * layout.bytes_per_block, layout.bytes_per_block);
  }
  Sequence moved = original;
  moved.blocks = targets;
  original.tokens.push_back(267);
  moved.tokens.push_back(267);
  const std::vector<float> from_original = step(*model_, {&original}, {1});
  const std::vector<float> from_copy = step(*model_, {&moved}, {1});
  EXPECT_EQ(max_abs_diff(from_original.data(), from_copy.data(), model_->vocab()), 0.0f);
}

TEST_F(TorchBackendTest, BadBatchesAreRefusedWithAReasonAndTheModelKeepsWorking) {
  Sequence seq{{1, 403, 407}, 0, {255}};
  std::vector<float> logits(model_->vocab());
  auto forward = [&](std::vector<disaggd_forward_sequence> slices, std::size_t room) {
    std::vector<float> out(room);
    return model_->backend->forward(slices, out);
  };
  disaggd_forward_sequence outside = slice(seq, 3, true);
  const int32_t too_far[] = {256};
  outside.block_table = too_far;
  EXPECT_THAT(forward({outside}, model_->vocab()).message(),
              HasSubstr("block id 256 is outside the pool of 256"));

  const int32_t bad_tokens[] = {1, 512};
  disaggd_forward_sequence bad_token = slice(seq, 2, true);
  bad_token.tokens = bad_tokens;
  EXPECT_THAT(forward({bad_token}, model_->vocab()).message(),
              HasSubstr("token id 512 is outside the vocabulary"));

  disaggd_forward_sequence short_table = slice(seq, 3, true);
  short_table.start_position = 20;  // needs two blocks, the table has one
  EXPECT_THAT(forward({short_table}, model_->vocab()).message(), HasSubstr("need 2 blocks"));

  EXPECT_THAT(forward({slice(seq, 3, true)}, model_->vocab() - 1).message(),
              HasSubstr("logits buffer holds"));

  Sequence beyond{std::vector<int32_t>(1, 1), 511, contiguous_blocks(0, 520, 16)};
  beyond.tokens.resize(513, 1);
  EXPECT_THAT(forward({slice(beyond, 2, true)}, model_->vocab()).message(),
              HasSubstr("max_position_embeddings 512"));

  EXPECT_EQ(forward({}, model_->vocab()).code(), core::StatusCode::kInvalidArgument);
  // The instance is unharmed.
  EXPECT_TRUE(forward({slice(seq, 3, true)}, model_->vocab()).ok());
}

TEST(TorchBackendOptionsTest, Bfloat16ComputeStaysCloseToFloat32) {
  LoadedModel f32 = load_model(DISAGGD_TEST_MODEL_DIR, "torch", {option("kv_blocks", "8")});
  LoadedModel bf16 = load_model(DISAGGD_TEST_MODEL_DIR, "torch",
                                {option("kv_blocks", "8"), option("dtype", "bfloat16")});
  ASSERT_NE(f32.backend, nullptr);
  ASSERT_NE(bf16.backend, nullptr);
  EXPECT_EQ(bf16.backend->kv_layout().dtype, static_cast<uint32_t>(DISAGGD_DTYPE_BF16));
  EXPECT_EQ(bf16.backend->kv_layout().bytes_per_block,
            f32.backend->kv_layout().bytes_per_block / 2);
  Sequence a{{1, 403, 407, 261, 378}, 0, {0}};
  Sequence b = a;
  const std::vector<float> exact = step(f32, {&a}, {5});
  const std::vector<float> rounded = step(bf16, {&b}, {5});
  EXPECT_EQ(argmax(rounded.data(), bf16.vocab()), argmax(exact.data(), f32.vocab()));
  // Weights and KV cache rounded to bf16 (activations stay float32): 0.099 here.
  EXPECT_LT(max_abs_diff(rounded.data(), exact.data(), f32.vocab()), 0.25f);
  EXPECT_GT(max_abs_diff(rounded.data(), exact.data(), f32.vocab()), 0.0f);  // really bf16
}

TEST(TorchBackendOptionsTest, Bfloat16ModeBatchesChunksAndPlacesBlocksLikeFloat32) {
  // The bf16 KV cache is rounded once, on write, so every way of splitting the work sees the same
  // keys and values: batching, chunked prefill and block placement still do not change results.
  LoadedModel model = load_model(DISAGGD_TEST_MODEL_DIR, "torch",
                                 {option("kv_blocks", "64"), option("dtype", "bfloat16")});
  ASSERT_NE(model.backend, nullptr);
  const std::size_t vocab = model.vocab();
  const std::vector<int32_t> prompt = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376,
                                       298, 315, 421, 395, 317, 426, 338, 401, 396, 267};
  Sequence whole{prompt, 0, contiguous_blocks(0, prompt.size(), 16)};
  const std::vector<float> at_once = step(model, {&whole}, {20});
  Sequence solo{{1, 291, 376, 400}, 0, {10}};
  const std::vector<float> solo_logits = step(model, {&solo}, {4});

  Sequence chunked{prompt, 0, {33, 21}};
  Sequence beside{{1, 291, 376, 400}, 0, {40}};
  step(model, {&chunked}, {9});
  const std::vector<float> batched = step(model, {&beside, &chunked}, {4, 11});
  EXPECT_LT(max_abs_diff(batched.data(), solo_logits.data(), vocab), 1e-4f);
  EXPECT_LT(max_abs_diff(batched.data() + vocab, at_once.data(), vocab), 1e-4f);
  EXPECT_EQ(greedy(model, {1, 403, 407}, 30, {50, 7, 44}),
            greedy(model, {1, 403, 407}, 30, contiguous_blocks(0, 33, 16)));
}

TEST(TorchBackendOptionsTest, AtenOpsGiveWhatTheCpuKernelsGive) {
  // kernels: aten is the ATen path that CUDA runs; on the CPU it checks our kernels end to end.
  LoadedModel kernels = load_model(DISAGGD_TEST_MODEL_DIR, "torch", {option("kv_blocks", "8")});
  LoadedModel aten = load_model(DISAGGD_TEST_MODEL_DIR, "torch",
                                {option("kv_blocks", "8"), option("kernels", "aten")});
  LoadedModel aten_bf16 = load_model(
      DISAGGD_TEST_MODEL_DIR, "torch",
      {option("kv_blocks", "8"), option("kernels", "aten"), option("dtype", "bfloat16")});
  ASSERT_NE(kernels.backend, nullptr);
  ASSERT_NE(aten.backend, nullptr);
  ASSERT_NE(aten_bf16.backend, nullptr);
  EXPECT_EQ(aten_bf16.backend->kv_layout().dtype, static_cast<uint32_t>(DISAGGD_DTYPE_BF16));
  Sequence a{{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338},
             0,
             {2, 5}};
  Sequence b = a;
  Sequence c = a;
  const std::vector<float> ours = step(kernels, {&a}, {17});
  EXPECT_LT(max_abs_diff(step(aten, {&b}, {17}).data(), ours.data(), kernels.vocab()), 1e-4f);
  // bf16 activations too on this path: further off, still the same model.
  const std::vector<float> rounded = step(aten_bf16, {&c}, {17});
  EXPECT_EQ(argmax(rounded.data(), kernels.vocab()), argmax(ours.data(), kernels.vocab()));
  EXPECT_LT(max_abs_diff(rounded.data(), ours.data(), kernels.vocab()), 0.5f);
  for (Sequence* s : {&a, &b}) {
    s->tokens.push_back(267);
  }
  const std::vector<float> next = step(kernels, {&a}, {1});
  EXPECT_LT(max_abs_diff(step(aten, {&b}, {1}).data(), next.data(), kernels.vocab()), 1e-4f);
}

TEST(TorchBackendOptionsTest, UnknownOrBadOptionsAreRejected) {
  auto folder = engine::open_model_folder(DISAGGD_TEST_MODEL_DIR);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  core::PluginHost host({DISAGGD_TEST_PLUGIN_DIR});
  auto library = host.load(core::PluginKind::kModel, "torch");
  ASSERT_TRUE(library.ok()) << library.status().message();
  const std::string spec = folder->config.to_json().dump();
  const disaggd_weight_source weights = folder->weights.weight_source();
  auto create = [&](core::PluginOptions options) {
    return core::ModelBackend::create(*library, spec, weights, options).status();
  };
  EXPECT_THAT(create({option("blok_size", "8")}).message(),
              HasSubstr("unknown option 'blok_size' (did you mean 'block_size'?)"));
  EXPECT_THAT(create({option("dtype", "float16")}).message(),
              HasSubstr("option 'dtype' must be auto, float32 or bfloat16"));
  EXPECT_THAT(create({option("kernels", "fast")}).message(),
              HasSubstr("option 'kernels' must be auto or aten"));
  EXPECT_THAT(create({option("block_size", "0")}).message(), HasSubstr("block_size"));
  EXPECT_THAT(create({option("device", "tpu:0")}).message(), HasSubstr("option 'device'"));
  // No libtorch here has 100 GPUs: refused because CUDA is missing or the index is too high.
  const core::Status cuda = create({option("device", "cuda:99")});
  EXPECT_FALSE(cuda.ok());
  EXPECT_THAT(cuda.message(), HasSubstr("option 'device' is 'cuda:99'"));
  EXPECT_THAT(core::ModelBackend::create(*library, "{\"architecture\": \"gpt2\"}", weights, {})
                  .status()
                  .message(),
              HasSubstr("architecture"));
}

}  // namespace
}  // namespace disaggd::test
