// A decode engine continuing generations whose prompt ran on a prefill engine: two torch
// backends on stories260K in one process, the prompt's KV pulled through the real tcp migration
// plugin over loopback. The output must be the reference greedy output; when the pull fails the
// decode engine recomputes the prompt and the output is still the reference.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "../../plugins/model/model_test_support.h"
#include "../tokenizer/tokenizer_test_support.h"
#include "core/plugins/plugin_host.h"
#include "engine/migration/kv_migration.h"
#include "engine/serving/engine.h"
#include "engine/tokenizer/tokenizer_loader.h"

namespace disaggd::engine {
namespace {

using namespace std::chrono_literals;

using testing::reference_cases;
using testing::ReferenceCase;

/// One node's engine: a torch backend, its engine and its migration side.
struct Node {
  test::LoadedModel model;
  std::unique_ptr<Tokenizer> tokenizer;
  core::MetricsRegistry metrics;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<KvMigration> migration;

  explicit Node(core::PluginHost& plugins) {
    model = test::load_model(DISAGGD_TEST_MODEL_DIR, "torch",
                             {test::option("kv_blocks", "256"), test::option("block_size", "4")});
    EXPECT_NE(model.backend, nullptr);
    tokenizer = std::move(load_tokenizer(DISAGGD_TEST_MODEL_DIR)).value();
    EngineConfig config;
    config.vocab_size = model.vocab();
    config.eos_token_ids = model.folder->config.eos_token_ids;
    config.max_model_len = static_cast<uint32_t>(model.folder->config.max_position_embeddings);
    engine = std::make_unique<Engine>(*model.backend, *tokenizer, config, metrics);
    engine->start();
    auto library = plugins.load(core::PluginKind::kMigration, "tcp");
    EXPECT_TRUE(library.ok()) << library.status().message();
    auto backend = core::MigrationBackend::create(*library, {});
    EXPECT_TRUE(backend.ok()) << backend.status().message();
    auto created = KvMigration::create(std::move(backend).value(), *model.backend, 10s);
    EXPECT_TRUE(created.ok()) << created.status().message();
    migration = std::move(created).value();
  }
  ~Node() { engine->stop(); }

  uint32_t blocks_used_when_idle() {
    for (int i = 0; i < 500 && engine->stats().blocks_used > 0; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return engine->stats().blocks_used;
  }
};

GenerationRequest greedy(const ReferenceCase& c) {
  GenerationRequest r;
  r.request_id = "test";
  r.prompt = c.prompt_ids;
  r.sampling.temperature = 0;
  r.max_tokens = static_cast<uint32_t>(c.generated_ids.size());
  return r;
}

/// Every token id of a generation, and how it ended.
std::pair<std::vector<int32_t>, std::optional<FinishReason>> drain(RequestStream& stream) {
  std::vector<int32_t> ids;
  while (true) {
    auto event = stream.pop(60s);
    if (!event) {
      ADD_FAILURE() << "no event within 60 s";
      return {ids, std::nullopt};
    }
    ids.insert(ids.end(), event->token_ids.begin(), event->token_ids.end());
    if (event->finish) {
      return {ids, event->finish};
    }
  }
}

/// Runs `c`'s prompt on `prefill` and returns its kept cache.
KeptCache prefill_once(Node& prefill, const ReferenceCase& c) {
  GenerationRequest r = greedy(c);
  r.max_tokens = 1;
  r.keep_cache = true;
  auto stream = prefill.engine->submit(r);
  EXPECT_TRUE(stream.ok());
  while (true) {
    auto event = (*stream)->pop(60s);
    if (!event || event->finish) {
      EXPECT_TRUE(event && event->kept_cache);
      return event && event->kept_cache ? *event->kept_cache : KeptCache{};
    }
  }
}

class KvImportTest : public ::testing::Test {
 protected:
  core::PluginHost plugins_{{DISAGGD_TEST_PLUGIN_DIR}};
  Node prefill_{plugins_};
  Node decode_{plugins_};
};

TEST_F(KvImportTest, PulledPromptsContinueExactlyAsIfComputedHere) {
  for (const ReferenceCase& c : reference_cases()) {
    const KeptCache kept = prefill_once(prefill_, c);
    GenerationRequest r = greedy(c);
    r.import = KvImport{prefill_.migration->endpoint(),
                        kept.blocks,
                        kept.num_tokens,
                        kept.first_token,
                        kept.first_logprob,
                        decode_.migration,
                        {}};
    auto stream = decode_.engine->submit(r);
    ASSERT_TRUE(stream.ok()) << stream.status().message();
    EXPECT_EQ(drain(**stream).first, c.generated_ids);
    EXPECT_TRUE(prefill_.engine->release_cache(kept.handle_id).ok());
  }
  EXPECT_EQ(
      decode_.metrics.counter("disaggd_kv_imports_total", "", {{"outcome", "pulled"}}).value(),
      static_cast<double>(reference_cases().size()));
  EXPECT_EQ(prefill_.blocks_used_when_idle(), 0u);
  EXPECT_EQ(decode_.blocks_used_when_idle(), 0u);
}

TEST_F(KvImportTest, AFailedPullIsRecomputedWithTheSameOutput) {
  const ReferenceCase c = reference_cases().front();
  const KeptCache kept = prefill_once(prefill_, c);
  // The prefill's blocks are released before the pull: the bytes could be anything, so the
  // endpoint is made unreachable instead (a port nobody listens on).
  nlohmann::json endpoint = nlohmann::json::parse(prefill_.migration->endpoint());
  endpoint["port"] = 1;
  GenerationRequest r = greedy(c);
  r.import = KvImport{
      endpoint.dump(),   kept.blocks, kept.num_tokens, kept.first_token, kept.first_logprob,
      decode_.migration, {}};
  auto stream = decode_.engine->submit(r);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(drain(**stream).first, c.generated_ids);
  EXPECT_EQ(
      decode_.metrics.counter("disaggd_kv_imports_total", "", {{"outcome", "recomputed"}}).value(),
      1.0);
  EXPECT_EQ(decode_.blocks_used_when_idle(), 0u);
  EXPECT_TRUE(prefill_.engine->release_cache(kept.handle_id).ok());
}

TEST_F(KvImportTest, AHandleThatDoesNotFitThePromptIsRefused) {
  const ReferenceCase c = reference_cases().front();
  const KeptCache kept = prefill_once(prefill_, c);
  GenerationRequest r = greedy(c);
  r.import = KvImport{prefill_.migration->endpoint(),
                      kept.blocks,
                      kept.num_tokens + 1,
                      kept.first_token,
                      0.0f,
                      decode_.migration,
                      {}};
  EXPECT_EQ(decode_.engine->submit(r).status().code(), core::StatusCode::kInvalidArgument);
  r.import->num_tokens = kept.num_tokens;
  r.import->remote_blocks.push_back(0);
  EXPECT_EQ(decode_.engine->submit(r).status().code(), core::StatusCode::kInvalidArgument);
  r.import->remote_blocks.pop_back();
  r.import->first_token = 1 << 30;
  EXPECT_EQ(decode_.engine->submit(r).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(prefill_.engine->release_cache(kept.handle_id).ok());
}

}  // namespace
}  // namespace disaggd::engine
