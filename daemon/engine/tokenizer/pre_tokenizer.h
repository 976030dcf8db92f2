// PreTokenizer: the "pre_tokenizer" step of a tokenizer.json, which cuts text into words.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "engine/tokenizer/pcre_regex.h"

namespace disaggd::engine {

/// A chain of pre-tokenization steps. Supported types: Split (Regex or String pattern, every
/// behavior, invert), ByteLevel (add_prefix_space, use_regex with GPT-2's pattern), Metaspace
/// (replacement, prepend_scheme or legacy add_prefix_space, split), Digits and Sequence; null
/// means the whole text is one word.
class PreTokenizer {
 public:
  /// Builds the chain from tokenizer.json's "pre_tokenizer" value; kUnsupported names a type or
  /// behavior this build does not implement.
  static core::Result<PreTokenizer> from_json(const nlohmann::json& spec);

  /// Appends the words of `text` (well-formed UTF-8) to `words`. `at_input_start` tells whether
  /// `text` starts at the beginning of the input (Metaspace's prepend_scheme "first" needs it).
  core::Status split(std::string_view text, bool at_input_start,
                     std::vector<std::string>& words) const;

  /// Whether a ByteLevel step maps the words onto GPT-2's byte alphabet.
  bool byte_level() const { return byte_level_; }

 private:
  enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
  enum class Prepend { kAlways, kFirst, kNever };

  struct Step {
    enum class Kind { kSplit, kByteLevel, kMetaspace, kDigits } kind;
    // Split
    std::string literal;
    std::optional<PcreRegex> regex;
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
    // ByteLevel
    bool add_prefix_space = false;
    bool use_regex = false;
    // Metaspace
    std::string replacement;
    Prepend prepend = Prepend::kAlways;
    bool split = true;
    // Digits
    bool individual_digits = false;
  };

  /// A word in progress: its text and whether it starts at the beginning of the input.
  struct Piece {
    std::string text;
    bool at_input_start;
  };

  static core::Status add(const nlohmann::json& spec, std::vector<Step>& steps);
  static core::Status split_piece(const Piece& piece,
                                  const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                                  Behavior behavior, bool invert, std::vector<Piece>& out);
  core::Status apply(const Step& step, std::vector<Piece>& pieces) const;

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace disaggd::engine
