// Normalizer: the "normalizer" step of a tokenizer.json, applied to text between added tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "engine/tokenizer/pcre_regex.h"

namespace disaggd::engine {

/// A chain of normalization steps. Supported types: NFC, Prepend, Replace (String or Regex
/// pattern) and Sequence of those; null means no normalization.
class Normalizer {
 public:
  /// Builds the chain from tokenizer.json's "normalizer" value; kUnsupported names a type this
  /// build does not implement.
  static core::Result<Normalizer> from_json(const nlohmann::json& spec);

  /// `text` normalized. `text` must be well-formed UTF-8; so is the result.
  core::Result<std::string> normalize(std::string_view text) const;

  /// True when normalize() returns its input unchanged.
  bool empty() const { return steps_.empty(); }

 private:
  struct Step {
    enum class Kind { kNfc, kPrepend, kReplace } kind;
    std::string text;                ///< Prepend: the prefix; Replace: the literal pattern.
    std::string content;             ///< Replace: the replacement.
    std::optional<PcreRegex> regex;  ///< Replace with a Regex pattern.
  };

  static core::Status add(const nlohmann::json& spec, std::vector<Step>& steps);

  std::vector<Step> steps_;
};

/// Replaces every occurrence of `pattern` (non-empty) in `text` with `content`.
std::string replace_literal(std::string_view text, std::string_view pattern,
                            std::string_view content);

/// Reads a tokenizer.json pattern object ({"String": ...} or {"Regex": ...}): the literal, or the
/// compiled regex.
core::Status read_tokenizer_pattern(const nlohmann::json& spec, std::string& literal,
                                    std::optional<PcreRegex>& regex);

}  // namespace disaggd::engine
