// RequestStream: the channel between the engine's step thread, which pushes a generation's
// events, and the HTTP thread that sends them to the client (and may cancel).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "engine/serving/generation_request.h"

namespace disaggd::engine {

/// Thread-safe. The engine pushes events (the last one has `finish` set); one consumer pops them.
/// cancel() asks the engine to stop the generation: it ends with FinishReason::kAbort and frees
/// its blocks at its next step.
class RequestStream {
 public:
  /// Engine side: adds an event and wakes the consumer.
  void push(GenerationEvent event);

  /// Consumer side: the next event, waiting up to `timeout`; nullopt on timeout.
  std::optional<GenerationEvent> pop(std::chrono::milliseconds timeout);

  /// Consumer side: stop generating (the client went away).
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<GenerationEvent> events_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace disaggd::engine
