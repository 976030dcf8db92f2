// Releasing prefill nodes' kept caches in the background.
#include "engine/api/handle_releaser.h"

#include <spdlog/spdlog.h>

#include "http/http_client.h"

namespace disaggd::engine {

HandleReleaser::HandleReleaser(http::HeaderList headers)
    : headers_(std::move(headers)), thread_([this] { run(); }) {}

HandleReleaser::~HandleReleaser() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HandleReleaser::release(std::string prefill_url, std::string handle_id) {
  {
    std::lock_guard lock(mutex_);
    pending_.emplace_back(std::move(prefill_url), std::move(handle_id));
  }
  wake_.notify_one();
}

void HandleReleaser::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) {
      return;  // stopping, nothing left to send
    }
    auto [url, handle] = std::move(pending_.front());
    pending_.pop_front();
    lock.unlock();
    const auto released = http::post_json(url + "/distserve/release", {{"handle_id", handle}},
                                          std::chrono::milliseconds(2000), headers_);
    if (!released.ok()) {
      spdlog::warn("could not release kept cache {} on {} (its time to live frees it): {}", handle,
                   url, released.status().message());
    }
    lock.lock();
  }
}

}  // namespace disaggd::engine
