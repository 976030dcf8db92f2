// Engine on stories260K with the torch backend: reference greedy outputs alone, concurrently,
// under preemption; cancellation frees blocks; stop strings and max_tokens end generations.
#include "engine/serving/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "../../plugins/model/model_test_support.h"
#include "../tokenizer/tokenizer_test_support.h"
#include "engine/tokenizer/tokenizer_loader.h"

namespace disaggd::engine {
namespace {

using namespace std::chrono_literals;

using testing::reference_cases;
using testing::ReferenceCase;

/// Everything a generation produced.
struct Output {
  std::vector<int32_t> ids;
  std::string text;
  std::optional<FinishReason> finish;
  int events = 0;
};

Output drain(RequestStream& stream) {
  Output out;
  while (!out.finish) {
    auto event = stream.pop(60s);
    if (!event) {
      ADD_FAILURE() << "no event within 60 s";
      break;
    }
    ++out.events;
    out.ids.insert(out.ids.end(), event->token_ids.begin(), event->token_ids.end());
    out.text += event->text;
    out.finish = event->finish;
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void start(uint32_t kv_blocks, uint32_t budget = 256) {
    model_ = test::load_model(
        DISAGGD_TEST_MODEL_DIR, "torch",
        {test::option("kv_blocks", std::to_string(kv_blocks)), test::option("block_size", "4")});
    ASSERT_NE(model_.backend, nullptr);
    auto tokenizer = load_tokenizer(DISAGGD_TEST_MODEL_DIR);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    tokenizer_ = std::move(tokenizer).value();
    EngineConfig config;
    config.scheduler.max_batched_tokens = budget;
    config.scheduler.admission_watermark = 0.0;
    config.vocab_size = model_.vocab();
    config.eos_token_ids = model_.folder->config.eos_token_ids;
    config.max_model_len = static_cast<uint32_t>(model_.folder->config.max_position_embeddings);
    config.cache_ttl = cache_ttl_;
    engine_ = std::make_unique<Engine>(*model_.backend, *tokenizer_, config, metrics_);
    engine_->start();
  }

  GenerationRequest greedy(const ReferenceCase& c) {
    GenerationRequest r;
    r.request_id = c.prompt;
    r.prompt = c.prompt_ids;
    r.sampling.temperature = 0;
    r.max_tokens = static_cast<uint32_t>(c.generated_ids.size());
    return r;
  }

  std::shared_ptr<RequestStream> submit(GenerationRequest r) {
    auto stream = engine_->submit(std::move(r));
    EXPECT_TRUE(stream.ok()) << stream.status().message();
    return stream.ok() ? *stream : nullptr;
  }

  /// Blocks in use once the engine's step thread has caught up (its stats are updated after the
  /// step that pushed the last event), waiting up to 5 s for them to reach 0.
  uint32_t blocks_used_when_idle() {
    for (int i = 0; i < 500 && engine_->stats().blocks_used > 0; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return engine_->stats().blocks_used;
  }

  void TearDown() override {
    if (engine_) {
      engine_->stop();
    }
  }

  /// The last event of a generation (its earlier events are dropped).
  GenerationEvent last_event(RequestStream& stream) {
    while (true) {
      auto event = stream.pop(60s);
      if (!event) {
        ADD_FAILURE() << "no event within 60 s";
        return {};
      }
      if (event->finish) {
        return std::move(*event);
      }
    }
  }

  /// Waits up to 5 s for the engine's stats to satisfy `condition`.
  bool stats_reach(const std::function<bool(const EngineStats&)>& condition) {
    for (int i = 0; i < 500 && !condition(engine_->stats()); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return condition(engine_->stats());
  }

  std::chrono::milliseconds cache_ttl_ = 30s;
  test::LoadedModel model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, GreedyGenerationsMatchTheReferenceAloneAndAllAtOnce) {
  start(512);
  const auto cases = reference_cases();
  ASSERT_FALSE(cases.empty());
  for (const ReferenceCase& c : cases) {
    const Output alone = drain(*submit(greedy(c)));
    EXPECT_EQ(alone.ids, c.generated_ids) << c.prompt;
    EXPECT_EQ(alone.text, c.completion_text) << c.prompt;
  }
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (const ReferenceCase& c : cases) {
    streams.push_back(submit(greedy(c)));
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Output together = drain(*streams[i]);
    EXPECT_EQ(together.ids, cases[i].generated_ids) << cases[i].prompt;
    EXPECT_EQ(together.finish, FinishReason::kLength);
  }
  EXPECT_EQ(blocks_used_when_idle(), 0u);
}

TEST_F(EngineTest, PreemptionUnderASmallPoolDoesNotChangeTheOutput) {
  // 40 blocks of 4 tokens: not enough for every case at full length at once, so sequences are
  // preempted and recomputed; a budget of 16 tokens also chunks every prompt.
  start(40, 16);
  const auto cases = reference_cases();
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (const ReferenceCase& c : cases) {
    streams.push_back(submit(greedy(c)));
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(drain(*streams[i]).ids, cases[i].generated_ids) << cases[i].prompt;
  }
  EXPECT_GT(metrics_.counter("disaggd_preemptions_total", "").value(), 0.0);
  EXPECT_EQ(blocks_used_when_idle(), 0u);
}

TEST_F(EngineTest, ACancelledGenerationEndsAndFreesItsBlocks) {
  start(512);
  const ReferenceCase c = reference_cases().front();
  GenerationRequest r = greedy(c);
  r.max_tokens = 400;
  r.ignore_eos = true;
  auto stream = submit(r);
  ASSERT_TRUE(stream->pop(60s).has_value());  // it is running
  stream->cancel();
  const Output rest = drain(*stream);
  EXPECT_EQ(rest.finish, FinishReason::kAbort);
  for (int i = 0; i < 100 && engine_->stats().blocks_used > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(blocks_used_when_idle(), 0u);
}

TEST_F(EngineTest, AStopStringEndsTheTextBeforeIt) {
  start(512);
  const ReferenceCase c = reference_cases().front();
  const std::string stop = "little girl";
  const std::size_t at = c.completion_text.find(stop);
  ASSERT_NE(at, std::string::npos);
  GenerationRequest r = greedy(c);
  r.stop = {stop};
  const Output out = drain(*submit(r));
  EXPECT_EQ(out.finish, FinishReason::kStop);
  EXPECT_EQ(out.text, c.completion_text.substr(0, at));
  EXPECT_LT(out.ids.size(), c.generated_ids.size());
}

TEST_F(EngineTest, TokenizerModelAndTheTorchPluginShareOneProcess) {
  // libsentencepiece embeds protobuf 3.14, libtorch needs protobuf 3.21: with tokenizer.model
  // support in the global symbol scope, loading the torch plugin crashed. It lives in a private
  // module now; load it first, then the plugin, and generate with the module's tokenizer.
  auto sentencepiece =
      load_sentencepiece_model(std::string(DISAGGD_TEST_MODEL_DIR) + "/tokenizer.model", nullptr);
  ASSERT_TRUE(sentencepiece.ok()) << sentencepiece.status().message();
  start(64);
  const ReferenceCase c = reference_cases().front();
  auto ids = (*sentencepiece)->encode(c.prompt, true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, c.prompt_ids);
  GenerationRequest r = greedy(c);
  r.max_tokens = 8;
  EXPECT_EQ(drain(*submit(r)).ids,
            std::vector<int32_t>(c.generated_ids.begin(), c.generated_ids.begin() + 8));
}

TEST_F(EngineTest, MaxTokensAndBadRequests) {
  start(64);
  const ReferenceCase c = reference_cases().front();
  GenerationRequest r = greedy(c);
  r.max_tokens = 3;
  const Output out = drain(*submit(r));
  EXPECT_EQ(out.ids, std::vector<int32_t>(c.generated_ids.begin(), c.generated_ids.begin() + 3));
  EXPECT_EQ(out.finish, FinishReason::kLength);

  GenerationRequest empty = greedy(c);
  empty.prompt.clear();
  EXPECT_FALSE(engine_->submit(empty).ok());
  GenerationRequest too_long = greedy(c);
  too_long.max_tokens = 100000;
  auto refused = engine_->submit(too_long);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("maximum context length"), std::string::npos);
  GenerationRequest huge_prompt = greedy(c);
  huge_prompt.prompt.assign(300, 5);  // 300 tokens > 64 blocks of 4
  huge_prompt.max_tokens = 1;
  auto no_room = engine_->submit(huge_prompt);
  ASSERT_FALSE(no_room.ok());
  EXPECT_NE(no_room.status().message().find("KV cache"), std::string::npos);
  GenerationRequest bad_id = greedy(c);
  bad_id.prompt.push_back(100000);
  EXPECT_FALSE(engine_->submit(bad_id).ok());
}

TEST_F(EngineTest, APrefillKeepsThePromptsBlocksUnderAHandleUntilReleased) {
  start(512);
  const ReferenceCase c = reference_cases().front();
  GenerationRequest r = greedy(c);
  r.max_tokens = 1;
  r.keep_cache = true;
  const GenerationEvent last = last_event(*submit(r));
  ASSERT_TRUE(last.kept_cache.has_value());
  const KeptCache& kept = *last.kept_cache;
  EXPECT_EQ(kept.num_tokens, c.prompt_ids.size());
  EXPECT_EQ(kept.blocks.size(), (c.prompt_ids.size() + 3) / 4);  // blocks of 4 tokens
  EXPECT_EQ(kept.first_token, c.generated_ids.front());
  EXPECT_EQ(last.token_ids, std::vector<int32_t>{c.generated_ids.front()});
  EXPECT_EQ(kept.handle_id.size(), 32u);
  ASSERT_TRUE(stats_reach([&](const EngineStats& s) { return s.kept_caches == 1; }));
  EXPECT_EQ(engine_->stats().blocks_used, kept.blocks.size());

  // Another generation neither sees nor takes those blocks.
  EXPECT_EQ(drain(*submit(greedy(c))).ids, c.generated_ids);
  ASSERT_TRUE(stats_reach([&](const EngineStats& s) { return s.running == 0; }));
  EXPECT_EQ(engine_->stats().blocks_used, kept.blocks.size());

  EXPECT_EQ(engine_->release_cache("0123456789abcdef0123456789abcdef").code(),
            core::StatusCode::kNotFound);
  EXPECT_TRUE(engine_->release_cache(kept.handle_id).ok());
  EXPECT_EQ(engine_->release_cache(kept.handle_id).code(), core::StatusCode::kNotFound);
  EXPECT_TRUE(stats_reach([](const EngineStats& s) { return s.blocks_used == 0; }));
  EXPECT_EQ(engine_->stats().kept_caches, 0u);
}

TEST_F(EngineTest, AKeptCacheNobodyReleasesExpires) {
  cache_ttl_ = 1s;
  start(512);
  const ReferenceCase c = reference_cases().front();
  GenerationRequest r = greedy(c);
  r.max_tokens = 1;
  r.keep_cache = true;
  const GenerationEvent last = last_event(*submit(r));
  ASSERT_TRUE(last.kept_cache.has_value());
  ASSERT_TRUE(stats_reach([](const EngineStats& s) { return s.kept_caches == 1; }));
  // Nothing else runs: the engine must wake up by itself to free the blocks.
  EXPECT_TRUE(stats_reach([](const EngineStats& s) { return s.kept_caches == 0; }));
  EXPECT_EQ(blocks_used_when_idle(), 0u);
  EXPECT_EQ(engine_->release_cache(last.kept_cache->handle_id).code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace disaggd::engine
