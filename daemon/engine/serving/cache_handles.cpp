// Kept KV caches of a prefill node, by handle.
#include "engine/serving/cache_handles.h"

#include <algorithm>
#include <cstdio>

namespace disaggd::engine {

CacheHandleTable::CacheHandleTable(uint64_t seed)
    : random_(seed != 0 ? seed
                        : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

std::string CacheHandleTable::new_handle_id() {
  while (true) {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(random_()),
                  static_cast<unsigned long long>(random_()));
    if (entries_.count(text) == 0) {
      return text;
    }
  }
}

const KeptCache& CacheHandleTable::add(std::vector<int32_t> blocks, uint32_t num_tokens,
                                       int32_t first_token, float first_logprob,
                                       std::chrono::steady_clock::time_point expires) {
  KeptCache kept;
  kept.handle_id = new_handle_id();
  kept.blocks = std::move(blocks);
  kept.num_tokens = num_tokens;
  kept.first_token = first_token;
  kept.first_logprob = first_logprob;
  kept.expires = expires;
  const std::string id = kept.handle_id;
  return entries_.emplace(id, std::move(kept)).first->second;
}

std::optional<KeptCache> CacheHandleTable::take(const std::string& handle_id) {
  const auto it = entries_.find(handle_id);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  KeptCache kept = std::move(it->second);
  entries_.erase(it);
  return kept;
}

std::vector<KeptCache> CacheHandleTable::take_expired(std::chrono::steady_clock::time_point now) {
  std::vector<KeptCache> expired;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires <= now) {
      expired.push_back(std::move(it->second));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::vector<KeptCache> CacheHandleTable::take_all() {
  std::vector<KeptCache> all;
  for (auto& [id, kept] : entries_) {
    all.push_back(std::move(kept));
  }
  entries_.clear();
  return all;
}

std::optional<std::chrono::steady_clock::time_point> CacheHandleTable::next_expiry() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& [id, kept] : entries_) {
    next = next ? std::min(*next, kept.expires) : kept.expires;
  }
  return next;
}

}  // namespace disaggd::engine
