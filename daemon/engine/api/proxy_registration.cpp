// Registering with the proxy, and leaving it.
#include "engine/api/proxy_registration.h"

#include <spdlog/spdlog.h>

#include "http/http_client.h"

namespace disaggd::engine {
namespace {

constexpr std::chrono::milliseconds kTimeout(2000);

std::string endpoint(std::string proxy_url, const char* path) {
  while (!proxy_url.empty() && proxy_url.back() == '/') {
    proxy_url.pop_back();
  }
  return proxy_url + path;
}

}  // namespace

ProxyRegistration::ProxyRegistration(std::string proxy_url, nlohmann::json registration,
                                     http::HeaderList headers, std::chrono::milliseconds refresh)
    : proxy_url_(std::move(proxy_url)),
      registration_(std::move(registration)),
      headers_(std::move(headers)),
      refresh_(refresh),
      thread_([this] { run(); }) {}

ProxyRegistration::~ProxyRegistration() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  auto removed = http::post_json(endpoint(proxy_url_, "/nodes/remove"),
                                 {{"url", registration_["url"]}}, kTimeout, headers_);
  if (removed.ok()) {
    spdlog::info("left the proxy at {}", proxy_url_);
  } else {
    spdlog::warn("could not leave the proxy: {}", removed.status().message());
  }
}

void ProxyRegistration::run() {
  bool registered = false;
  int failures = 0;
  std::unique_lock lock(mutex_);
  do {
    lock.unlock();
    auto added =
        http::post_json(endpoint(proxy_url_, "/nodes/add"), registration_, kTimeout, headers_);
    if (added.ok() && !registered) {
      spdlog::info("registered with the proxy at {} as {}", proxy_url_,
                   registration_["url"].get<std::string>());
    } else if (!added.ok() && registered) {
      spdlog::warn("the proxy at {} did not take the refresh: {}", proxy_url_,
                   added.status().message());
    } else if (!added.ok() && ++failures == 1) {
      spdlog::warn("cannot register with the proxy yet (retrying every second): {}",
                   added.status().message());
    }
    registered = added.ok();
    lock.lock();
  } while (!wake_.wait_for(lock, registered ? refresh_ : std::chrono::milliseconds(1000),
                           [this] { return stopping_; }));
}

}  // namespace disaggd::engine
