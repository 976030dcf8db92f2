// Normalizer: NFC, Prepend and Replace, the normalizers of the Llama and Qwen tokenizer.json files.
#include "engine/tokenizer/normalizer.h"

#include <nlohmann/json.hpp>

#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/unicode_nfc.h"

namespace disaggd::engine {
namespace {

using json_fields::invalid;

core::Status unsupported(const std::string& type) {
  return core::Status(
      core::StatusCode::kUnsupported,
      "unsupported normalizer type \"" + type + "\"; supported: NFC, Prepend, Replace, Sequence");
}

}  // namespace

std::string replace_literal(std::string_view text, std::string_view pattern,
                            std::string_view content) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t hit = text.find(pattern, pos);
    if (hit == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, hit - pos));
    out.append(content);
    pos = hit + pattern.size();
  }
}

core::Status read_tokenizer_pattern(const nlohmann::json& spec, std::string& literal,
                                    std::optional<PcreRegex>& regex) {
  if (!spec.is_object()) {
    return invalid("pattern: expected {\"String\": ...} or {\"Regex\": ...}");
  }
  if (const auto it = spec.find("String"); it != spec.end() && it->is_string()) {
    literal = it->get<std::string>();
    if (literal.empty()) {
      return invalid("pattern: the String pattern is empty");
    }
    return core::Status();
  }
  if (const auto it = spec.find("Regex"); it != spec.end() && it->is_string()) {
    core::Result<PcreRegex> compiled = PcreRegex::compile(it->get<std::string>());
    if (!compiled.ok()) {
      return compiled.status().with_context("pattern");
    }
    regex = std::move(compiled).value();
    return core::Status();
  }
  return invalid("pattern: expected {\"String\": ...} or {\"Regex\": ...}");
}

core::Result<Normalizer> Normalizer::from_json(const nlohmann::json& spec) {
  Normalizer normalizer;
  if (!spec.is_null()) {
    DISAGGD_RETURN_IF_ERROR(add(spec, normalizer.steps_));
  }
  return normalizer;
}

core::Status Normalizer::add(const nlohmann::json& spec, std::vector<Step>& steps) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    return invalid("normalizer: expected an object with a \"type\"");
  }
  const std::string type = spec["type"].get<std::string>();
  if (type == "Sequence") {
    const auto it = spec.find("normalizers");
    if (it == spec.end() || !it->is_array()) {
      return invalid("normalizer Sequence: expected a \"normalizers\" array");
    }
    for (const auto& child : *it) {
      DISAGGD_RETURN_IF_ERROR(add(child, steps));
    }
    return core::Status();
  }
  if (type == "NFC") {
    steps.push_back({Step::Kind::kNfc, {}, {}, std::nullopt});
    return core::Status();
  }
  if (type == "Prepend") {
    const auto it = spec.find("prepend");
    if (it == spec.end() || !it->is_string()) {
      return invalid("normalizer Prepend: expected a string \"prepend\"");
    }
    steps.push_back({Step::Kind::kPrepend, it->get<std::string>(), {}, std::nullopt});
    return core::Status();
  }
  if (type == "Replace") {
    const auto pattern = spec.find("pattern");
    const auto content = spec.find("content");
    if (pattern == spec.end() || content == spec.end() || !content->is_string()) {
      return invalid("normalizer Replace: expected \"pattern\" and a string \"content\"");
    }
    Step step{Step::Kind::kReplace, {}, content->get<std::string>(), std::nullopt};
    const core::Status status = read_tokenizer_pattern(*pattern, step.text, step.regex);
    if (!status.ok()) {
      return status.with_context("normalizer Replace");
    }
    steps.push_back(std::move(step));
    return core::Status();
  }
  return unsupported(type);
}

core::Result<std::string> Normalizer::normalize(std::string_view text) const {
  std::string current(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Step::Kind::kNfc:
        current = nfc_normalize(current);
        break;
      case Step::Kind::kPrepend:
        if (!current.empty()) {
          current.insert(0, step.text);
        }
        break;
      case Step::Kind::kReplace:
        if (step.regex) {
          core::Result<std::vector<std::pair<std::size_t, std::size_t>>> matches =
              step.regex->find_all(current);
          if (!matches.ok()) {
            return matches.status();
          }
          std::string out;
          std::size_t pos = 0;
          for (const auto& [start, end] : *matches) {
            out.append(current, pos, start - pos);
            out.append(step.content);
            pos = end;
          }
          out.append(current, pos, std::string::npos);
          current = std::move(out);
        } else {
          current = replace_literal(current, step.text, step.content);
        }
        break;
    }
  }
  return current;
}

}  // namespace disaggd::engine
