// Stop-string matching with one KMP automaton per stop string.
#include "engine/sampling/stop_matcher.h"

#include <algorithm>
#include <limits>

namespace disaggd::engine {
namespace {

/// failure[i]: length of the longest proper prefix of text[0..i] that is also its suffix.
std::vector<std::size_t> prefix_function(std::string_view text) {
  std::vector<std::size_t> failure(text.size(), 0);
  for (std::size_t i = 1; i < text.size(); ++i) {
    std::size_t k = failure[i - 1];
    while (k > 0 && text[i] != text[k]) {
      k = failure[k - 1];
    }
    if (text[i] == text[k]) {
      ++k;
    }
    failure[i] = k;
  }
  return failure;
}

}  // namespace

StopMatcher::StopMatcher(std::span<const std::string> stops) {
  for (std::size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].empty()) {
      continue;
    }
    Pattern pattern;
    pattern.text = stops[i];
    pattern.failure = prefix_function(pattern.text);
    pattern.index = static_cast<int32_t>(i);
    longest_ = std::max(longest_, pattern.text.size());
    patterns_.push_back(std::move(pattern));
  }
}

StopResult StopMatcher::push(std::string_view new_text) {
  StopResult result;
  if (stopped()) {
    result.stopped = true;
    result.stop_index = stop_index_;
    return result;
  }
  if (patterns_.empty()) {
    result.emit.assign(new_text);
    return result;
  }
  const std::size_t base = held_.size();
  held_.append(new_text);
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::size_t cut = kNone;  // Start of the earliest stop string found in this piece
  int32_t cut_index = -1;
  for (std::size_t k = 0; k < new_text.size(); ++k) {
    const std::size_t end = base + k + 1;  // held_[..end) has been read
    // A match ending here or later starts at end - longest_ or later: none can beat `cut`.
    if (cut != kNone && end >= longest_ && end - longest_ >= cut) {
      break;
    }
    const char c = new_text[k];
    for (Pattern& pattern : patterns_) {
      std::size_t state = pattern.state;
      while (state > 0 && pattern.text[state] != c) {
        state = pattern.failure[state - 1];
      }
      if (pattern.text[state] == c) {
        ++state;
      }
      if (state == pattern.text.size()) {
        const std::size_t start = end - state;
        if (start < cut) {
          cut = start;
          cut_index = pattern.index;
        }
        state = pattern.failure[state - 1];
      }
      pattern.state = state;
    }
  }
  if (cut != kNone) {
    result.emit = held_.substr(0, cut);
    result.stopped = true;
    result.stop_index = cut_index;
    stop_index_ = cut_index;
    held_.clear();
    return result;
  }
  // Hold the longest tail that starts some stop string; release the rest.
  std::size_t hold = 0;
  for (const Pattern& pattern : patterns_) {
    hold = std::max(hold, pattern.state);
  }
  hold = std::min(hold, held_.size());
  result.emit = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return result;
}

std::string StopMatcher::flush() {
  std::string rest = stopped() ? std::string() : std::move(held_);
  held_.clear();
  stop_index_ = -1;
  for (Pattern& pattern : patterns_) {
    pattern.state = 0;
  }
  return rest;
}

}  // namespace disaggd::engine
