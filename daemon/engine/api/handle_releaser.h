// HandleReleaser: a decode node telling prefill nodes, in the background, that it no longer needs
// the KV they kept (POST <prefill>/distserve/release).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "http/http_client.h"

namespace disaggd::engine {

/// Thread-safe; release() never blocks on the network. A release that fails is logged: the
/// prefill's time to live frees the blocks anyway. Pending releases are sent before destruction
/// returns (each bounded by a short timeout).
class HandleReleaser {
 public:
  /// `headers` go with every release (the cluster token).
  explicit HandleReleaser(http::HeaderList headers = {});
  ~HandleReleaser();
  HandleReleaser(const HandleReleaser&) = delete;
  HandleReleaser& operator=(const HandleReleaser&) = delete;

  /// Queues the release of `handle_id` on the prefill node at `prefill_url`.
  void release(std::string prefill_url, std::string handle_id);

 private:
  void run();

  const http::HeaderList headers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace disaggd::engine
