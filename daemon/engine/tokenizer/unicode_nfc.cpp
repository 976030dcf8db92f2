// NFC: canonical decomposition, canonical ordering, then canonical composition (UAX #15), with a
// quick check that leaves text which cannot change untouched.
#include "engine/tokenizer/unicode_nfc.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

struct NfcDecomposition {
  char32_t code_point;
  char32_t first;
  char32_t second;  ///< 0 for a singleton decomposition.
  bool composes;    ///< The pair composes back to `code_point` (a primary composite).
};

struct CombiningClassRange {
  char32_t first;
  char32_t last;
  std::uint8_t combining_class;
};

#include "engine/tokenizer/unicode_nfc_data.inc"

// Hangul syllables decompose and compose arithmetically (Unicode §3.12).
constexpr char32_t kHangulSBase = 0xAC00;
constexpr char32_t kHangulLBase = 0x1100;
constexpr char32_t kHangulVBase = 0x1161;
constexpr char32_t kHangulTBase = 0x11A7;
constexpr char32_t kHangulLCount = 19;
constexpr char32_t kHangulVCount = 21;
constexpr char32_t kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount;
constexpr char32_t kHangulSCount = kHangulLCount * kHangulNCount;

/// Nothing below this code point decomposes, reorders or composes with what precedes it.
constexpr char32_t kFirstUnstableCodePoint = 0x300;

std::uint64_t pair_key(char32_t first, char32_t second) {
  return (static_cast<std::uint64_t>(first) << 32) | second;
}

/// Lookup tables built once from the generated arrays.
class NfcTables {
 public:
  NfcTables() {
    decompositions_.reserve(std::size(kNfcDecompositions));
    for (const NfcDecomposition& entry : kNfcDecompositions) {
      decompositions_.emplace(entry.code_point, &entry);
      if (entry.composes) {
        compositions_.emplace(pair_key(entry.first, entry.second), entry.code_point);
        composition_seconds_.insert(entry.second);
      } else {
        unstable_.insert(entry.code_point);  // NFC_Quick_Check=No
      }
    }
    for (const char32_t second : composition_seconds_) {
      unstable_.insert(second);  // NFC_Quick_Check=Maybe
    }
    for (char32_t v = kHangulVBase; v < kHangulVBase + kHangulVCount; ++v) {
      unstable_.insert(v);
    }
    for (char32_t t = kHangulTBase + 1; t < kHangulTBase + kHangulTCount; ++t) {
      unstable_.insert(t);
    }
  }

  std::uint8_t combining_class(char32_t cp) const {
    if (cp < kFirstUnstableCodePoint) {
      return 0;
    }
    const auto* end = std::end(kNfcCombiningClasses);
    const auto* it = std::upper_bound(
        std::begin(kNfcCombiningClasses), end, cp,
        [](char32_t value, const CombiningClassRange& range) { return value < range.first; });
    if (it == std::begin(kNfcCombiningClasses)) {
      return 0;
    }
    --it;
    return cp <= it->last ? it->combining_class : 0;
  }

  /// True when `cp` may change in NFC or change what is next to it.
  bool unstable(char32_t cp) const {
    if (cp < kFirstUnstableCodePoint) {
      return false;
    }
    return combining_class(cp) != 0 || unstable_.contains(cp);
  }

  const NfcDecomposition* decomposition(char32_t cp) const {
    const auto it = decompositions_.find(cp);
    return it == decompositions_.end() ? nullptr : it->second;
  }

  /// The primary composite of `first` + `second`, or 0.
  char32_t compose(char32_t first, char32_t second) const {
    if (first >= kHangulLBase && first < kHangulLBase + kHangulLCount && second >= kHangulVBase &&
        second < kHangulVBase + kHangulVCount) {
      return kHangulSBase +
             ((first - kHangulLBase) * kHangulVCount + (second - kHangulVBase)) * kHangulTCount;
    }
    if (first >= kHangulSBase && first < kHangulSBase + kHangulSCount &&
        (first - kHangulSBase) % kHangulTCount == 0 && second > kHangulTBase &&
        second < kHangulTBase + kHangulTCount) {
      return first + (second - kHangulTBase);
    }
    const auto it = compositions_.find(pair_key(first, second));
    return it == compositions_.end() ? 0 : it->second;
  }

  /// Appends the full canonical decomposition of `cp` to `out`.
  void decompose(char32_t cp, std::vector<char32_t>& out) const {
    if (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount) {
      const char32_t index = cp - kHangulSBase;
      out.push_back(kHangulLBase + index / kHangulNCount);
      out.push_back(kHangulVBase + (index % kHangulNCount) / kHangulTCount);
      if (index % kHangulTCount != 0) {
        out.push_back(kHangulTBase + index % kHangulTCount);
      }
      return;
    }
    const NfcDecomposition* entry = cp < 0xC0 ? nullptr : decomposition(cp);
    if (entry == nullptr) {
      out.push_back(cp);
      return;
    }
    decompose(entry->first, out);
    if (entry->second != 0) {
      decompose(entry->second, out);
    }
  }

 private:
  std::unordered_map<char32_t, const NfcDecomposition*> decompositions_;
  std::unordered_map<std::uint64_t, char32_t> compositions_;
  std::unordered_set<char32_t> composition_seconds_;
  std::unordered_set<char32_t> unstable_;
};

const NfcTables& tables() {
  static const NfcTables instance;
  return instance;
}

}  // namespace

std::string_view nfc_unicode_version() {
  return kNfcUnicodeVersion;
}

std::string nfc_normalize(std::string_view text) {
  // U+0300 is CC 80 in UTF-8: without a byte >= 0xCC every code point is below it.
  const bool maybe_unstable = std::any_of(
      text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xCC; });
  if (!maybe_unstable) {
    return std::string(text);
  }
  const NfcTables& t = tables();
  std::vector<char32_t> code_points;
  code_points.reserve(text.size());
  bool stable = true;
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t cp = utf8_next_code_point(text, pos);
    stable = stable && !t.unstable(cp);
    code_points.push_back(cp);
  }
  if (stable) {
    return std::string(text);
  }

  // 1. Canonical decomposition.
  std::vector<char32_t> decomposed;
  decomposed.reserve(code_points.size() + 8);
  for (const char32_t cp : code_points) {
    t.decompose(cp, decomposed);
  }
  // 2. Canonical ordering: stable sort of every run of non-starters by combining class.
  std::vector<std::uint8_t> classes(decomposed.size());
  for (std::size_t i = 0; i < decomposed.size(); ++i) {
    classes[i] = t.combining_class(decomposed[i]);
  }
  for (std::size_t i = 0; i < decomposed.size();) {
    if (classes[i] == 0) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < decomposed.size() && classes[end] != 0) {
      ++end;
    }
    if (end - i > 1) {
      std::vector<std::pair<std::uint8_t, char32_t>> run;
      for (std::size_t k = i; k < end; ++k) {
        run.emplace_back(classes[k], decomposed[k]);
      }
      std::stable_sort(run.begin(), run.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t k = i; k < end; ++k) {
        classes[k] = run[k - i].first;
        decomposed[k] = run[k - i].second;
      }
    }
    i = end;
  }
  // 3. Canonical composition: each character joins the last starter unless something between
  // them blocks it (a character of class 0 or of a class not lower than its own).
  std::vector<char32_t> composed;
  composed.reserve(decomposed.size());
  std::size_t starter = SIZE_MAX;
  std::uint8_t last_class = 0;
  for (std::size_t i = 0; i < decomposed.size(); ++i) {
    const char32_t cp = decomposed[i];
    const std::uint8_t cls = classes[i];
    if (starter != SIZE_MAX) {
      const bool adjacent = composed.size() == starter + 1;
      const bool blocked = !adjacent && (last_class == 0 || last_class >= cls);
      if (!blocked) {
        const char32_t composite = t.compose(composed[starter], cp);
        if (composite != 0) {
          composed[starter] = composite;
          continue;
        }
      }
    }
    if (cls == 0) {
      starter = composed.size();
    }
    last_class = cls;
    composed.push_back(cp);
  }

  std::string out;
  out.reserve(text.size());
  for (const char32_t cp : composed) {
    utf8_append(out, cp);
  }
  return out;
}

}  // namespace disaggd::engine
