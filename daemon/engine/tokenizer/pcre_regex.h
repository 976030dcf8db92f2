// PcreRegex: a compiled PCRE2 pattern (UTF + Unicode properties, JIT when available).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

struct pcre2_real_code_8;

namespace disaggd::engine {

/// A pattern compiled once and matched from any number of threads. Patterns use PCRE2 syntax with
/// PCRE2_UTF and PCRE2_UCP, so `\p{L}`, `\s` and `\w` follow Unicode properties, which is what
/// the regular expressions of tokenizer.json files (written for Oniguruma) expect.
class PcreRegex {
 public:
  /// Compiles `pattern`; the error names the offset and PCRE2's reason.
  static core::Result<PcreRegex> compile(std::string_view pattern);

  /// [start, end) byte ranges of the successive non-overlapping matches in `subject`, which must
  /// be well-formed UTF-8. Empty matches are skipped.
  core::Result<std::vector<std::pair<std::size_t, std::size_t>>> find_all(
      std::string_view subject) const;

  /// The pattern as written.
  const std::string& pattern() const { return pattern_; }
  /// Whether PCRE2 JIT-compiled the pattern.
  bool jit() const { return jit_; }

 private:
  struct CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
  };

  PcreRegex(std::string pattern, std::shared_ptr<pcre2_real_code_8> code, bool jit)
      : pattern_(std::move(pattern)), code_(std::move(code)), jit_(jit) {}

  std::string pattern_;
  std::shared_ptr<pcre2_real_code_8> code_;
  bool jit_ = false;
};

}  // namespace disaggd::engine
