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

/// Levenshtein distance between `a` and `b` (insertions, deletions, substitutions cost 1).
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
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
