// Command-line pieces the benchmark programs share.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace disaggd::bench {

/// "1,4,16" -> {1, 4, 16}. Throws std::invalid_argument / std::out_of_range (std::stoi) on a
/// malformed entry.
inline std::vector<int> comma_separated_ints(const std::string& text) {
  std::vector<int> values;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    values.push_back(std::stoi(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return values;
}

}  // namespace disaggd::bench
