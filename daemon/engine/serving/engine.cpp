// The step loop.
#include "engine/serving/engine.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/logging/logging.h"
#include "engine/sampling/stop_matcher.h"
#include "engine/tokenizer/incremental_detokenizer.h"

namespace disaggd::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

/// One generation in the engine: the scheduler's Sequence plus what turns tokens into output.
struct Engine::Active {
  Active(GenerationRequest r, std::shared_ptr<RequestStream> s, const Tokenizer& tokenizer)
      : request(std::move(r)),
        stream(std::move(s)),
        detokenizer(tokenizer, request.prompt, request.skip_special_tokens),
        stop(request.stop),
        rng(request.sampling.seed) {}

  GenerationRequest request;
  std::shared_ptr<RequestStream> stream;
  Sequence sequence;
  IncrementalDetokenizer detokenizer;
  StopMatcher stop;
  SequenceRng rng;
  Clock::time_point arrival = Clock::now();
  Clock::time_point last_token;
  uint32_t generated = 0;
  /// Decode role, while the prompt's KV is being pulled into `import_blocks`.
  std::unique_ptr<KvPull> pull;
  std::vector<int32_t> import_blocks;
};

Engine::Engine(core::ModelBackend& backend, const Tokenizer& tokenizer, EngineConfig config,
               core::MetricsRegistry& metrics)
    : backend_(backend),
      tokenizer_(tokenizer),
      config_(std::move(config)),
      vocab_size_(config_.vocab_size),
      blocks_(backend.kv_layout().num_blocks, backend.kv_layout().block_size),
      scheduler_(config_.scheduler, blocks_),
      prompt_tokens_(metrics.counter("disaggd_prompt_tokens_total", "Prompt tokens admitted.")),
      generation_tokens_(metrics.counter("disaggd_generation_tokens_total", "Tokens generated.")),
      preemptions_(metrics.counter("disaggd_preemptions_total",
                                   "Sequences whose KV blocks were taken back to make room.")),
      time_to_first_token_(metrics.histogram("disaggd_time_to_first_token_seconds",
                                             "From arrival at the engine to the first token.",
                                             core::latency_buckets_seconds())),
      inter_token_latency_(metrics.histogram("disaggd_inter_token_latency_seconds",
                                             "Between consecutive tokens of a generation.",
                                             core::latency_buckets_seconds())),
      step_seconds_(metrics.histogram("disaggd_engine_step_seconds",
                                      "Duration of one forward step (batch).",
                                      core::latency_buckets_seconds())),
      running_gauge_(
          metrics.gauge("disaggd_sequences", "Sequences in the engine.", {{"state", "running"}})),
      waiting_gauge_(
          metrics.gauge("disaggd_sequences", "Sequences in the engine.", {{"state", "waiting"}})),
      blocks_used_gauge_(
          metrics.gauge("disaggd_kv_blocks", "KV cache blocks.", {{"state", "used"}})),
      blocks_free_gauge_(
          metrics.gauge("disaggd_kv_blocks", "KV cache blocks.", {{"state", "free"}})),
      kept_caches_gauge_(metrics.gauge(
          "disaggd_kept_caches", "Prompt KV caches kept for a decode node to pull (prefill).")),
      imports_pulled_(metrics.counter("disaggd_kv_imports_total",
                                      "Prompts whose KV came from a prefill node (decode), by "
                                      "outcome.",
                                      {{"outcome", "pulled"}})),
      imports_recomputed_(metrics.counter("disaggd_kv_imports_total",
                                          "Prompts whose KV came from a prefill node (decode), by "
                                          "outcome.",
                                          {{"outcome", "recomputed"}})),
      metrics_(metrics) {
  update_gauges();
}

Engine::~Engine() {
  stop();
}

void Engine::start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  }
}

void Engine::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

core::Result<std::shared_ptr<RequestStream>> Engine::submit(GenerationRequest request) {
  const auto prompt = static_cast<uint64_t>(request.prompt.size());
  if (prompt == 0) {
    return core::Status(core::StatusCode::kInvalidArgument, "the prompt is empty");
  }
  if (request.max_tokens == 0) {
    return core::Status(core::StatusCode::kInvalidArgument, "max_tokens must be at least 1");
  }
  if (prompt + request.max_tokens > config_.max_model_len) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "this model's maximum context length is " +
                            std::to_string(config_.max_model_len) + " tokens; the prompt has " +
                            std::to_string(prompt) + " and max_tokens asks for " +
                            std::to_string(request.max_tokens) + " more");
  }
  if (blocks_.blocks_for(prompt + 1) > blocks_.num_blocks()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "the prompt has " + std::to_string(prompt) +
                            " tokens, more than this node's KV cache holds (" +
                            std::to_string(blocks_.num_blocks() * blocks_.block_size()) + ")");
  }
  for (int32_t id : request.prompt) {
    if (id < 0 || static_cast<std::size_t>(id) >= vocab_size_) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                              std::to_string(vocab_size_ - 1) + ")");
    }
  }
  if (const auto& import = request.import) {
    const uint32_t blocks = blocks_.blocks_for(prompt);
    if (import->num_tokens != prompt || import->remote_blocks.size() != blocks) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "the cache handle holds " + std::to_string(import->num_tokens) +
                              " tokens in " + std::to_string(import->remote_blocks.size()) +
                              " blocks, but this prompt has " + std::to_string(prompt) +
                              " tokens, which take " + std::to_string(blocks) + " blocks");
    }
    if (import->first_token < 0 || static_cast<std::size_t>(import->first_token) >= vocab_size_) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "the cache handle's first token " + std::to_string(import->first_token) +
                              " is outside the vocabulary");
    }
    if (!import->puller) {
      return core::Status(core::StatusCode::kFailedPrecondition,
                          "this node cannot pull KV caches (no migration backend)");
    }
  }
  auto stream = std::make_shared<RequestStream>();
  auto active = std::make_unique<Active>(std::move(request), stream, tokenizer_);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return core::Status(core::StatusCode::kUnavailable, "the engine is shutting down");
    }
    active->sequence.id = next_id_++;
    inbox_.push_back(std::move(active));
  }
  wake_.notify_one();
  return stream;
}

core::Status Engine::release_cache(const std::string& handle_id) {
  std::future<core::Status> done;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return core::Status(core::StatusCode::kUnavailable, "the engine is shutting down");
    }
    releases_.push_back(CacheRelease{handle_id, {}});
    done = releases_.back().done.get_future();
  }
  wake_.notify_one();
  return done.get();
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Engine::run() {
  while (collect_work()) {
    step();
    update_gauges();
  }
  GenerationEvent aborted;
  aborted.finish = FinishReason::kAbort;
  for (auto& [id, active] : active_) {
    active->stream->push(aborted);
  }
  for (auto& active : inbox_) {
    active->stream->push(aborted);
  }
  active_.clear();
  inbox_.clear();
  std::lock_guard lock(mutex_);
  for (CacheRelease& release : releases_) {
    release.done.set_value(core::Status(core::StatusCode::kUnavailable, "the engine stopped"));
  }
  releases_.clear();
}

void Engine::serve_cache_releases() {
  std::vector<CacheRelease> releases;
  {
    std::lock_guard lock(mutex_);
    releases.swap(releases_);
  }
  for (CacheRelease& release : releases) {
    std::optional<KeptCache> kept = kept_.take(release.handle_id);
    if (!kept) {
      release.done.set_value(core::Status(
          core::StatusCode::kNotFound,
          "no kept cache '" + release.handle_id + "' (unknown, already released or expired)"));
      continue;
    }
    blocks_.release(kept->blocks);
    release.done.set_value(core::Status());
  }
  for (const KeptCache& expired : kept_.take_expired(Clock::now())) {
    spdlog::warn("kept cache {} expired unreleased; {} blocks freed", expired.handle_id,
                 expired.blocks.size());
    blocks_.release(expired.blocks);
  }
}

void Engine::begin_import(Active& active) {
  const KvImport& import = *active.request.import;
  auto blocks = blocks_.allocate(blocks_.blocks_for(import.num_tokens));
  if (!blocks) {
    recompute_import(active, core::Status(core::StatusCode::kOutOfMemory,
                                          "no free KV blocks for the pulled prompt"));
    return;
  }
  auto pull = import.puller->start(import.source, import.remote_blocks, *blocks);
  if (!pull.ok()) {
    blocks_.release(*blocks);
    recompute_import(active, pull.status());
    return;
  }
  active.import_blocks = std::move(*blocks);
  active.pull = std::move(pull).value();
  ++importing_;
}

void Engine::poll_imports() {
  if (importing_ == 0) {
    return;
  }
  std::vector<Active*> done;
  std::vector<std::pair<Active*, core::Status>> failed;
  for (auto& [id, active] : active_) {
    if (!active->pull) {
      continue;
    }
    const core::Result<bool> landed = active->pull->poll();
    if (!landed.ok()) {
      failed.emplace_back(active.get(), landed.status());
    } else if (*landed) {
      done.push_back(active.get());
    }
  }
  for (Active* active : done) {
    active->pull.reset();
    --importing_;
    complete_import(*active);
  }
  for (auto& [active, why] : failed) {
    active->pull.reset();
    --importing_;
    blocks_.release(active->import_blocks);
    active->import_blocks.clear();
    recompute_import(*active, why);
  }
}

void Engine::complete_import(Active& active) {
  const KvImport& import = *active.request.import;
  Sequence& sequence = active.sequence;
  sequence.blocks = std::move(active.import_blocks);
  active.import_blocks.clear();
  sequence.computed = import.num_tokens;
  imports_pulled_.add();
  settle_import(active);
  scheduler_.add_running(&sequence);
  spdlog::debug("[{}] prompt KV pulled ({} blocks); decoding", active.request.request_id,
                sequence.blocks.size());
  deliver_token(active, import.first_token, import.first_logprob);  // may end `active`
}

void Engine::recompute_import(Active& active, const core::Status& why) {
  const KvImport& import = *active.request.import;
  spdlog::warn("[{}] pulling the prompt's KV failed ({}); computing it here",
               active.request.request_id, why.message());
  imports_recomputed_.add();
  settle_import(active);
  scheduler_.add(&active.sequence);
  deliver_token(active, import.first_token, import.first_logprob);  // may end `active`
}

void Engine::settle_import(Active& active) {
  KvImport& import = *active.request.import;
  if (import.on_settled) {
    std::exchange(import.on_settled, nullptr)();
  }
}

KeptCache Engine::keep_cache(Active& active, float first_logprob) {
  const Sequence& sequence = active.sequence;
  const uint32_t num_tokens = sequence.prompt_length;
  const uint32_t count = blocks_.blocks_for(num_tokens);
  std::vector<int32_t> blocks(sequence.blocks.begin(), sequence.blocks.begin() + count);
  blocks_.retain(blocks);  // the scheduler's release of the sequence leaves these held
  return kept_.add(std::move(blocks), num_tokens, sequence.tokens[num_tokens], first_logprob,
                   Clock::now() + config_.cache_ttl);
}

bool Engine::collect_work() {
  std::vector<std::unique_ptr<Active>> arrived;
  {
    std::unique_lock lock(mutex_);
    auto has_work = [this] {
      return stopping_ || !inbox_.empty() || !active_.empty() || !releases_.empty();
    };
    if (importing_ > 0) {
      // Pulls in progress are polled about every millisecond.
      wake_.wait_for(lock, std::chrono::milliseconds(1), has_work);
    } else if (const auto expiry = kept_.next_expiry()) {
      wake_.wait_until(lock, *expiry, has_work);
    } else {
      wake_.wait(lock, has_work);
    }
    if (stopping_) {
      return false;
    }
    arrived.swap(inbox_);
  }
  serve_cache_releases();
  for (auto& active : arrived) {
    Sequence& sequence = active->sequence;
    sequence.tokens = active->request.prompt;
    sequence.prompt_length = static_cast<uint32_t>(sequence.tokens.size());
    prompt_tokens_.add(static_cast<double>(sequence.prompt_length));
    Active& added = *active_.emplace(sequence.id, std::move(active)).first->second;
    if (added.request.import) {
      begin_import(added);
    } else {
      scheduler_.add(&sequence);
      spdlog::debug("[{}] queued: {} prompt tokens, max_tokens {}", added.request.request_id,
                    sequence.prompt_length, added.request.max_tokens);
    }
  }
  poll_imports();
  // Clients that went away.
  std::vector<Active*> cancelled;
  for (auto& [id, active] : active_) {
    if (active->stream->cancelled()) {
      cancelled.push_back(active.get());
    }
  }
  for (Active* active : cancelled) {
    spdlog::info("[{}] cancelled by the client after {} tokens", active->request.request_id,
                 active->generated);
    finish(*active, FinishReason::kAbort);
  }
  return true;
}

void Engine::step() {
  StepPlan plan = scheduler_.schedule();
  preemptions_.add(static_cast<double>(plan.preempted.size()));
  for (Sequence* sequence : plan.preempted) {
    spdlog::info("[{}] preempted (KV cache full); it will be recomputed",
                 active_.at(sequence->id)->request.request_id);
  }
  for (Sequence* sequence : plan.out_of_blocks) {
    Active& active = *active_.at(sequence->id);
    spdlog::warn("[{}] stopped: the KV cache cannot hold {} tokens", active.request.request_id,
                 sequence->tokens.size() + 1);
    finish(active, FinishReason::kLength);
  }
  if (plan.empty()) {
    return;
  }
  std::vector<disaggd_forward_sequence> batch;
  batch.reserve(plan.slices.size());
  std::size_t wanted = 0;
  for (const ScheduledSlice& slice : plan.slices) {
    Sequence& s = *slice.sequence;
    batch.push_back({s.tokens.data() + slice.start, slice.count, slice.start, s.blocks.data(),
                     static_cast<uint32_t>(s.blocks.size()), slice.want_logits ? 1u : 0u});
    wanted += slice.want_logits ? 1 : 0;
  }
  logits_.resize(wanted * vocab_size_);
  const auto start = Clock::now();
  const core::Status status = backend_.forward(batch, logits_);
  step_seconds_.observe(seconds_between(start, Clock::now()));
  if (!status.ok()) {
    spdlog::error("forward step of {} sequences failed: {}", plan.slices.size(), status.message());
    for (const ScheduledSlice& slice : plan.slices) {
      finish(*active_.at(slice.sequence->id), FinishReason::kError,
             status.with_context("the model backend failed"));
    }
    return;
  }
  std::size_t row = 0;
  for (const ScheduledSlice& slice : plan.slices) {
    slice.sequence->computed += slice.count;
    if (slice.want_logits) {
      accept_token(*active_.at(slice.sequence->id), logits_.data() + row * vocab_size_);
      ++row;
    }
  }
}

void Engine::accept_token(Active& active, float* logits) {
  Sequence& sequence = active.sequence;
  const std::span<const int32_t> tokens(sequence.tokens);
  const SampledToken sampled = sampler_.sample(
      std::span<float>(logits, vocab_size_), active.request.sampling,
      tokens.first(sequence.prompt_length), tokens.subspan(sequence.prompt_length), active.rng);
  deliver_token(active, sampled.id, sampled.logprob);
}

void Engine::deliver_token(Active& active, int32_t id, float logprob) {
  Sequence& sequence = active.sequence;
  sequence.tokens.push_back(id);
  ++active.generated;
  generation_tokens_.add();
  const auto now = Clock::now();
  if (active.generated == 1) {
    time_to_first_token_.observe(seconds_between(active.arrival, now));
  } else {
    inter_token_latency_.observe(seconds_between(active.last_token, now));
  }
  active.last_token = now;

  GenerationEvent event;
  event.token_ids.push_back(id);
  if (active.request.sampling.logprobs > 0) {
    event.logprobs.push_back(logprob);
  }
  const GenerationRequest& request = active.request;
  std::optional<FinishReason> finish_reason;
  const bool eos = !request.ignore_eos &&
                   std::find(config_.eos_token_ids.begin(), config_.eos_token_ids.end(), id) !=
                       config_.eos_token_ids.end();
  const bool stop_id = std::find(request.stop_token_ids.begin(), request.stop_token_ids.end(),
                                 id) != request.stop_token_ids.end();
  if (eos || stop_id) {
    finish_reason = FinishReason::kStop;  // the stopping token's text is not part of the output
  } else {
    // A model's vocabulary is often padded beyond the tokenizer's (Qwen: 151936 rows, 151669
    // tokens); such an id has no text, and the detokenizer refuses it without changing state.
    auto text = active.detokenizer.push(id);
    StopResult stopped = active.stop.push(text.ok() ? *text : std::string());
    event.text = std::move(stopped.emit);
    if (stopped.stopped) {
      finish_reason = FinishReason::kStop;
    }
  }
  if (!finish_reason &&
      (active.generated >= request.max_tokens || sequence.tokens.size() >= config_.max_model_len)) {
    finish_reason = FinishReason::kLength;
  }
  if (finish_reason && !active.stop.stopped()) {
    // The end of the output: what the detokenizer and the stop matcher held back is final now
    // (a stop string may still complete in the detokenizer's last bytes).
    StopResult rest = active.stop.push(active.detokenizer.finish());
    event.text += rest.emit;
    if (rest.stopped) {
      finish_reason = FinishReason::kStop;
    } else {
      event.text += active.stop.flush();
    }
  }
  event.prompt_tokens = sequence.prompt_length;
  event.completion_tokens = active.generated;
  event.finish = finish_reason;
  if (finish_reason && request.keep_cache && sequence.computed >= sequence.prompt_length) {
    event.kept_cache = keep_cache(active, logprob);
    spdlog::debug("[{}] prompt KV kept under handle {} ({} blocks)", request.request_id,
                  event.kept_cache->handle_id, event.kept_cache->blocks.size());
  }
  const std::optional<FinishReason> done = event.finish;
  active.stream->push(std::move(event));
  if (done) {
    spdlog::debug("[{}] finished ({}): {} tokens", request.request_id, finish_reason_name(*done),
                  active.generated);
    scheduler_.remove(&sequence);
    active_.erase(sequence.id);  // `active` is gone after this
  }
}

void Engine::finish(Active& active, FinishReason reason, core::Status error) {
  if (active.pull) {
    active.pull.reset();  // cancels the copy before its destination blocks are freed
    --importing_;
    blocks_.release(active.import_blocks);
    active.import_blocks.clear();
    settle_import(active);
  }
  GenerationEvent event;
  event.finish = reason;
  event.error = std::move(error);
  event.prompt_tokens = active.sequence.prompt_length;
  event.completion_tokens = active.generated;
  active.stream->push(std::move(event));
  scheduler_.remove(&active.sequence);
  active_.erase(active.sequence.id);
}

void Engine::update_gauges() {
  EngineStats stats;
  stats.running = scheduler_.running();
  stats.waiting = scheduler_.waiting();
  stats.blocks_used = blocks_.used_blocks();
  stats.blocks_free = blocks_.free_blocks();
  stats.kept_caches = kept_.size();
  running_gauge_.set(static_cast<double>(stats.running));
  waiting_gauge_.set(static_cast<double>(stats.waiting));
  kept_caches_gauge_.set(static_cast<double>(stats.kept_caches));
  blocks_used_gauge_.set(stats.blocks_used);
  blocks_free_gauge_.set(stats.blocks_free);
  std::lock_guard lock(mutex_);
  stats_ = stats;
}

}  // namespace disaggd::engine
