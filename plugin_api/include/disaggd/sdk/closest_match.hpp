/// @file disaggd/sdk/closest_match.hpp
/// C++ plugin SDK: finds the known word closest to a misspelt one, for "did you mean" hints.
/// The daemon's config loader uses it too, so hints read the same everywhere.
#ifndef DISAGGD_SDK_CLOSEST_MATCH_HPP
#define DISAGGD_SDK_CLOSEST_MATCH_HPP

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace disaggd::sdk {

/// Edit distance between `a` and `b` counting insertions, deletions, substitutions and swaps of
/// two adjacent characters as 1 each (optimal string alignment), so "prot" is 1 from "port".
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t width = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * width);
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i * width] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t best = std::min({d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1,
                                   d[(i - 1) * width + j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        best = std::min(best, d[(i - 2) * width + j - 2] + 1);
      }
      d[i * width + j] = best;
    }
  }
  return d[a.size() * width + b.size()];
}

/// Returns the candidate closest to `word`, or an empty string when none is close enough to be a
/// plausible typo (distance at most a third of the longer word, and at least 1 allowed).
inline std::string closest_match(std::string_view word,
                                 const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    const std::size_t allowed =
        std::max<std::size_t>(1, std::max(word.size(), candidate.size()) / 3);
    if (distance <= allowed && (best.empty() || distance < best_distance)) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_CLOSEST_MATCH_HPP
