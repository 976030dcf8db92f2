// PreTokenizer: Hugging Face's pre-tokenizers that Llama, Qwen and GPT-2 tokenizer.json files use,
// with the same split semantics (NormalizedString::split and SplitDelimiterBehavior).
#include "engine/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/normalizer.h"

namespace disaggd::engine {
namespace {

using json_fields::flag;
using json_fields::invalid;
using json_fields::unsupported;

/// GPT-2's pre-tokenization pattern, used by ByteLevel with use_regex.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

/// Non-overlapping occurrences of `literal` in `text`.
std::vector<std::pair<std::size_t, std::size_t>> find_literal(std::string_view text,
                                                              std::string_view literal) {
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  std::size_t pos = 0;
  while ((pos = text.find(literal, pos)) != std::string_view::npos) {
    matches.emplace_back(pos, pos + literal.size());
    pos += literal.size();
  }
  return matches;
}

const PcreRegex& gpt2_regex() {
  static const PcreRegex regex = [] {
    core::Result<PcreRegex> compiled = PcreRegex::compile(kGpt2Pattern);
    // The pattern is a constant known to compile; a failure here is a broken PCRE2 build.
    if (!compiled.ok()) {
      std::abort();
    }
    return std::move(compiled).value();
  }();
  return regex;
}

}  // namespace

core::Result<PreTokenizer> PreTokenizer::from_json(const nlohmann::json& spec) {
  PreTokenizer pre_tokenizer;
  if (!spec.is_null()) {
    DISAGGD_RETURN_IF_ERROR(add(spec, pre_tokenizer.steps_));
  }
  for (const Step& step : pre_tokenizer.steps_) {
    pre_tokenizer.byte_level_ = pre_tokenizer.byte_level_ || step.kind == Step::Kind::kByteLevel;
  }
  return pre_tokenizer;
}

core::Status PreTokenizer::add(const nlohmann::json& spec, std::vector<Step>& steps) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    return invalid("pre_tokenizer: expected an object with a \"type\"");
  }
  const std::string type = spec["type"].get<std::string>();
  if (type == "Sequence") {
    const auto it = spec.find("pretokenizers");
    if (it == spec.end() || !it->is_array()) {
      return invalid("pre_tokenizer Sequence: expected a \"pretokenizers\" array");
    }
    for (const auto& child : *it) {
      DISAGGD_RETURN_IF_ERROR(add(child, steps));
    }
    return core::Status();
  }
  Step step{};
  if (type == "Split") {
    step.kind = Step::Kind::kSplit;
    const auto pattern = spec.find("pattern");
    if (pattern == spec.end()) {
      return invalid("pre_tokenizer Split: expected a \"pattern\"");
    }
    const core::Status status = read_tokenizer_pattern(*pattern, step.literal, step.regex);
    if (!status.ok()) {
      return status.with_context("pre_tokenizer Split");
    }
    const std::string behavior = spec.contains("behavior") && spec["behavior"].is_string()
                                     ? spec["behavior"].get<std::string>()
                                     : "Isolated";
    if (behavior == "Removed") {
      step.behavior = Behavior::kRemoved;
    } else if (behavior == "Isolated") {
      step.behavior = Behavior::kIsolated;
    } else if (behavior == "MergedWithPrevious") {
      step.behavior = Behavior::kMergedWithPrevious;
    } else if (behavior == "MergedWithNext") {
      step.behavior = Behavior::kMergedWithNext;
    } else if (behavior == "Contiguous") {
      step.behavior = Behavior::kContiguous;
    } else {
      return unsupported("pre_tokenizer Split: unsupported behavior \"" + behavior +
                         "\"; supported: Removed, Isolated, MergedWithPrevious, MergedWithNext, "
                         "Contiguous");
    }
    step.invert = flag(spec, "invert", false);
  } else if (type == "ByteLevel") {
    step.kind = Step::Kind::kByteLevel;
    step.add_prefix_space = flag(spec, "add_prefix_space", true);
    step.use_regex = flag(spec, "use_regex", true);
  } else if (type == "Metaspace") {
    step.kind = Step::Kind::kMetaspace;
    const auto replacement = spec.find("replacement");
    step.replacement = replacement != spec.end() && replacement->is_string()
                           ? replacement->get<std::string>()
                           : "\xE2\x96\x81";  // "▁"
    if (step.replacement.empty()) {
      return invalid("pre_tokenizer Metaspace: the replacement is empty");
    }
    const auto scheme = spec.find("prepend_scheme");
    if (scheme != spec.end() && scheme->is_string()) {
      const std::string name = scheme->get<std::string>();
      if (name == "always") {
        step.prepend = Prepend::kAlways;
      } else if (name == "first") {
        step.prepend = Prepend::kFirst;
      } else if (name == "never") {
        step.prepend = Prepend::kNever;
      } else {
        return unsupported("pre_tokenizer Metaspace: unsupported prepend_scheme \"" + name +
                           "\"; supported: always, first, never");
      }
    } else {
      // Files written before prepend_scheme existed say add_prefix_space.
      step.prepend = flag(spec, "add_prefix_space", true) ? Prepend::kAlways : Prepend::kNever;
    }
    step.split = flag(spec, "split", true);
  } else if (type == "Digits") {
    step.kind = Step::Kind::kDigits;
    step.individual_digits = flag(spec, "individual_digits", false);
    core::Result<PcreRegex> compiled =
        PcreRegex::compile(step.individual_digits ? "\\p{N}" : "\\p{N}+");
    if (!compiled.ok()) {
      return compiled.status();
    }
    step.regex = std::move(compiled).value();
  } else {
    return unsupported("unsupported pre_tokenizer type \"" + type +
                       "\"; supported: Split, ByteLevel, Metaspace, Digits, Sequence");
  }
  steps.push_back(std::move(step));
  return core::Status();
}

core::Status PreTokenizer::split_piece(
    const Piece& piece, const std::vector<std::pair<std::size_t, std::size_t>>& matches,
    Behavior behavior, bool invert, std::vector<Piece>& out) {
  // The whole piece as alternating (range, is_match) parts, as Hugging Face's find_matches.
  struct Part {
    std::size_t start;
    std::size_t end;
    bool is_match;
  };
  std::vector<Part> parts;
  std::size_t pos = 0;
  for (const auto& [start, end] : matches) {
    if (start > pos) {
      parts.push_back({pos, start, invert});
    }
    parts.push_back({start, end, !invert});
    pos = end;
  }
  if (pos < piece.text.size()) {
    parts.push_back({pos, piece.text.size(), invert});
  }

  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  bool previous_match = false;
  switch (behavior) {
    case Behavior::kRemoved:
      for (const Part& part : parts) {
        if (!part.is_match) {
          ranges.emplace_back(part.start, part.end);
        }
      }
      break;
    case Behavior::kIsolated:
      for (const Part& part : parts) {
        ranges.emplace_back(part.start, part.end);
      }
      break;
    case Behavior::kMergedWithPrevious:
      for (const Part& part : parts) {
        if (part.is_match && !previous_match && !ranges.empty()) {
          ranges.back().second = part.end;
        } else {
          ranges.emplace_back(part.start, part.end);
        }
        previous_match = part.is_match;
      }
      break;
    case Behavior::kMergedWithNext:
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->is_match && !previous_match && !ranges.empty()) {
          ranges.back().first = it->start;
        } else {
          ranges.emplace_back(it->start, it->end);
        }
        previous_match = it->is_match;
      }
      std::reverse(ranges.begin(), ranges.end());
      break;
    case Behavior::kContiguous:
      for (const Part& part : parts) {
        if (part.is_match == previous_match && !ranges.empty()) {
          ranges.back().second = part.end;
        } else {
          ranges.emplace_back(part.start, part.end);
        }
        previous_match = part.is_match;
      }
      break;
  }
  for (const auto& [start, end] : ranges) {
    if (end > start) {
      out.push_back({piece.text.substr(start, end - start), piece.at_input_start && start == 0});
    }
  }
  return core::Status();
}

core::Status PreTokenizer::apply(const Step& step, std::vector<Piece>& pieces) const {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (Piece& piece : pieces) {
    switch (step.kind) {
      case Step::Kind::kSplit:
      case Step::Kind::kDigits: {
        std::vector<std::pair<std::size_t, std::size_t>> matches;
        if (step.regex) {
          core::Result<std::vector<std::pair<std::size_t, std::size_t>>> found =
              step.regex->find_all(piece.text);
          if (!found.ok()) {
            return found.status();
          }
          matches = std::move(found).value();
        } else {
          matches = find_literal(piece.text, step.literal);
        }
        const Behavior behavior =
            step.kind == Step::Kind::kDigits
                ? (step.individual_digits ? Behavior::kIsolated : Behavior::kContiguous)
                : step.behavior;
        DISAGGD_RETURN_IF_ERROR(split_piece(piece, matches, behavior,
                                            step.kind == Step::Kind::kSplit && step.invert, out));
        break;
      }
      case Step::Kind::kByteLevel: {
        if (step.add_prefix_space && !piece.text.starts_with(' ')) {
          piece.text.insert(0, 1, ' ');
        }
        std::vector<Piece> words;
        if (step.use_regex) {
          core::Result<std::vector<std::pair<std::size_t, std::size_t>>> found =
              gpt2_regex().find_all(piece.text);
          if (!found.ok()) {
            return found.status();
          }
          DISAGGD_RETURN_IF_ERROR(split_piece(piece, *found, Behavior::kIsolated, false, words));
        } else {
          words.push_back(std::move(piece));
        }
        for (Piece& word : words) {
          std::string mapped;
          mapped.reserve(word.text.size() * 2);
          ByteLevel::instance().encode(word.text, mapped);
          out.push_back({std::move(mapped), word.at_input_start});
        }
        break;
      }
      case Step::Kind::kMetaspace: {
        std::string text = replace_literal(piece.text, " ", step.replacement);
        const bool needs_prefix = !text.starts_with(step.replacement);
        if (needs_prefix && (step.prepend == Prepend::kAlways ||
                             (step.prepend == Prepend::kFirst && piece.at_input_start))) {
          text.insert(0, step.replacement);
        }
        const Piece replaced{std::move(text), piece.at_input_start};
        if (step.split) {
          DISAGGD_RETURN_IF_ERROR(split_piece(replaced,
                                              find_literal(replaced.text, step.replacement),
                                              Behavior::kMergedWithNext, false, out));
        } else {
          out.push_back(replaced);
        }
        break;
      }
    }
  }
  pieces = std::move(out);
  return core::Status();
}

core::Status PreTokenizer::split(std::string_view text, bool at_input_start,
                                 std::vector<std::string>& words) const {
  if (text.empty()) {
    return core::Status();
  }
  std::vector<Piece> pieces;
  pieces.push_back({std::string(text), at_input_start});
  for (const Step& step : steps_) {
    DISAGGD_RETURN_IF_ERROR(apply(step, pieces));
  }
  for (Piece& piece : pieces) {
    words.push_back(std::move(piece.text));
  }
  return core::Status();
}

}  // namespace disaggd::engine
