// Engine: runs a model backend for many requests at once. One step thread plans each step with
// the Scheduler, runs the batch through the backend, samples, detokenizes, applies stop rules and
// pushes the results into each request's RequestStream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/plugins/model_backend.h"
#include "core/status.h"
#include "engine/sampling/sampler.h"
#include "engine/scheduler/block_manager.h"
#include "engine/scheduler/scheduler.h"
#include "engine/serving/cache_handles.h"
#include "engine/serving/generation_request.h"
#include "engine/serving/request_stream.h"
#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

struct EngineConfig {
  SchedulerConfig scheduler;
  /// Ids that end a generation unless the request says ignore_eos (config.json and
  /// generation_config.json eos ids).
  std::vector<int32_t> eos_token_ids;
  /// Logits per token: config.json's vocab_size (may exceed the tokenizer's vocabulary).
  std::size_t vocab_size = 0;
  /// Positions the model supports (max_position_embeddings): prompt + output never exceed it.
  uint32_t max_model_len = 2048;
  /// How long a kept cache (keep_cache) waits for its release before its blocks are freed.
  std::chrono::milliseconds cache_ttl{30000};
};

/// Counts the engine keeps (a consistent snapshot).
struct EngineStats {
  std::size_t running = 0;
  std::size_t waiting = 0;
  uint32_t blocks_used = 0;
  uint32_t blocks_free = 0;
  std::size_t kept_caches = 0;  ///< Cache handles held (prefill).
};

/// Thread-safe: submit() and stats() may be called from any thread. The backend and tokenizer
/// must outlive the engine; the engine is their only user while it runs.
class Engine {
 public:
  Engine(core::ModelBackend& backend, const Tokenizer& tokenizer, EngineConfig config,
         core::MetricsRegistry& metrics);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Starts the step thread.
  void start();
  /// Ends every generation (FinishReason::kAbort) and joins the step thread. Idempotent.
  void stop();

  /// Queues a generation. Refuses (kInvalidArgument, with a message for the client) an empty
  /// prompt, a prompt or prompt + max_tokens longer than the model's context, a prompt that
  /// needs more KV blocks than the pool has, or max_tokens 0.
  core::Result<std::shared_ptr<RequestStream>> submit(GenerationRequest request);

  /// Frees the blocks kept under `handle_id` (a decode node pulled them, or the request ended).
  /// kNotFound for an unknown handle, one already released or one that expired. Blocks until
  /// the step thread has done it.
  core::Status release_cache(const std::string& handle_id);

  EngineStats stats() const;
  const EngineConfig& config() const { return config_; }

 private:
  struct Active;

  void run();
  /// Takes new requests from the inbox; waits when there is no work at all. False when stopping.
  bool collect_work();
  void step();
  /// Samples from `logits` and delivers the token.
  void accept_token(Active& active, float* logits);
  /// Appends `id` to the sequence and sends its event; ends the sequence when a stop rule says
  /// so (then `active` is gone).
  void deliver_token(Active& active, int32_t id, float logprob);
  /// Step thread: allocates blocks for an imported prompt and starts pulling its KV.
  void begin_import(Active& active);
  /// Step thread: polls every pull in progress; finishes or falls back.
  void poll_imports();
  /// The pulled KV is in place: the sequence runs from its first token.
  void complete_import(Active& active);
  /// Tells the import's owner (once) that the prefill's copy is no longer needed.
  void settle_import(Active& active);
  /// The pull failed: the sequence computes its prompt itself.
  void recompute_import(Active& active, const core::Status& why);
  /// Sends the last event and forgets the sequence.
  void finish(Active& active, FinishReason reason, core::Status error = {});
  void update_gauges();
  /// Step thread: answers queued release_cache() calls and frees expired handles.
  void serve_cache_releases();
  /// Step thread: keeps the prompt blocks of `active` (ending now) under a new handle.
  KeptCache keep_cache(Active& active, float first_logprob);

  core::ModelBackend& backend_;
  const Tokenizer& tokenizer_;
  EngineConfig config_;
  std::size_t vocab_size_;
  BlockManager blocks_;
  Scheduler scheduler_;
  Sampler sampler_;

  struct CacheRelease {
    std::string handle_id;
    std::promise<core::Status> done;
  };

  mutable std::mutex mutex_;  // guards inbox_, releases_, stopping_ and stats_
  std::condition_variable wake_;
  std::vector<std::unique_ptr<Active>> inbox_;
  std::vector<CacheRelease> releases_;
  bool stopping_ = false;
  EngineStats stats_;
  uint64_t next_id_ = 1;

  // Step thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Active>> active_;
  std::vector<float> logits_;
  CacheHandleTable kept_;
  std::size_t importing_ = 0;  ///< Generations whose prompt KV is being pulled.
  std::thread thread_;

  // Metrics.
  core::Counter& prompt_tokens_;
  core::Counter& generation_tokens_;
  core::Counter& preemptions_;
  core::Histogram& time_to_first_token_;
  core::Histogram& inter_token_latency_;
  core::Histogram& step_seconds_;
  core::Gauge& running_gauge_;
  core::Gauge& waiting_gauge_;
  core::Gauge& blocks_used_gauge_;
  core::Gauge& blocks_free_gauge_;
  core::Gauge& kept_caches_gauge_;
  core::Counter& imports_pulled_;
  core::Counter& imports_recomputed_;
  core::MetricsRegistry& metrics_;
};

}  // namespace disaggd::engine
