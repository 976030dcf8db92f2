// TokenDecoder: the decoders of byte-level (GPT-2, Qwen, Llama 3) and SentencePiece-style (Llama 2)
// tokenizer.json files.
#include "engine/tokenizer/token_decoder.h"

#include <nlohmann/json.hpp>

#include "engine/common/hex_digit.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

using json_fields::invalid;

/// The byte of a "<0xNN>" token (hex digits of either case), or -1.
int fallback_byte(const std::string& token) {
  if (token.size() != 6 || !token.starts_with("<0x") || token.back() != '>') {
    return -1;
  }
  auto digit = [](char c) { return hex_digit_value(c); };
  const int high = digit(token[3]);
  const int low = digit(token[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

}  // namespace

core::Result<TokenDecoder> TokenDecoder::from_json(const nlohmann::json& spec) {
  TokenDecoder decoder;
  if (!spec.is_null()) {
    DISAGGD_RETURN_IF_ERROR(add(spec, decoder.steps_));
  }
  return decoder;
}

core::Status TokenDecoder::add(const nlohmann::json& spec, std::vector<Step>& steps) {
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    return invalid("decoder: expected an object with a \"type\"");
  }
  const std::string type = spec["type"].get<std::string>();
  Step step{};
  if (type == "Sequence") {
    const auto it = spec.find("decoders");
    if (it == spec.end() || !it->is_array()) {
      return invalid("decoder Sequence: expected a \"decoders\" array");
    }
    for (const auto& child : *it) {
      DISAGGD_RETURN_IF_ERROR(add(child, steps));
    }
    return core::Status();
  }
  if (type == "ByteLevel") {
    step.kind = Step::Kind::kByteLevel;
  } else if (type == "ByteFallback") {
    step.kind = Step::Kind::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = Step::Kind::kFuse;
  } else if (type == "Replace") {
    step.kind = Step::Kind::kReplace;
    const auto pattern = spec.find("pattern");
    const auto content = spec.find("content");
    if (pattern == spec.end() || content == spec.end() || !content->is_string()) {
      return invalid("decoder Replace: expected \"pattern\" and a string \"content\"");
    }
    step.content = content->get<std::string>();
    const core::Status status = read_tokenizer_pattern(*pattern, step.pattern, step.regex);
    if (!status.ok()) {
      return status.with_context("decoder Replace");
    }
  } else if (type == "Strip") {
    step.kind = Step::Kind::kStrip;
    const auto content = spec.find("content");
    const auto start = spec.find("start");
    const auto stop = spec.find("stop");
    if (content == spec.end() || !content->is_string() || content->get<std::string>().empty() ||
        start == spec.end() || !start->is_number_unsigned() || stop == spec.end() ||
        !stop->is_number_unsigned()) {
      return invalid(
          "decoder Strip: expected a \"content\" character and counts \"start\", \"stop\"");
    }
    step.pattern = content->get<std::string>();
    step.start = start->get<std::size_t>();
    step.stop = stop->get<std::size_t>();
  } else if (type == "Metaspace") {
    step.kind = Step::Kind::kMetaspace;
    const auto replacement = spec.find("replacement");
    step.pattern = replacement != spec.end() && replacement->is_string()
                       ? replacement->get<std::string>()
                       : "\xE2\x96\x81";
    if (step.pattern.empty()) {
      return invalid("decoder Metaspace: the replacement is empty");
    }
    const auto scheme = spec.find("prepend_scheme");
    if (scheme != spec.end() && scheme->is_string()) {
      step.strip_first = scheme->get<std::string>() != "never";
    } else {
      const auto legacy = spec.find("add_prefix_space");
      step.strip_first = legacy == spec.end() || !legacy->is_boolean() || legacy->get<bool>();
    }
  } else {
    return core::Status(core::StatusCode::kUnsupported,
                        "unsupported decoder type \"" + type +
                            "\"; supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, "
                            "Metaspace, Sequence");
  }
  steps.push_back(std::move(step));
  return core::Status();
}

void TokenDecoder::apply(const Step& step, std::vector<std::string>& tokens) {
  switch (step.kind) {
    case Step::Kind::kByteLevel: {
      // Hugging Face joins everything into one token; a token with a character outside the byte
      // alphabet (an added token such as "<|im_start|>" with a space) is kept as written.
      std::string joined;
      for (const std::string& token : tokens) {
        if (auto bytes = ByteLevel::instance().decode(token)) {
          joined += *bytes;
        } else {
          joined += token;
        }
      }
      tokens.assign(1, std::move(joined));
      return;
    }
    case Step::Kind::kReplace:
      for (std::string& token : tokens) {
        if (step.regex) {
          // Raw bytes from an earlier ByteFallback or ByteLevel step are not text a pattern can
          // match (and PCRE2 must only see well-formed UTF-8).
          if (!is_valid_utf8(token)) {
            continue;
          }
          auto matches = step.regex->find_all(token);
          if (!matches.ok()) {
            continue;
          }
          std::string out;
          std::size_t pos = 0;
          for (const auto& [start, end] : *matches) {
            out.append(token, pos, start - pos);
            out.append(step.content);
            pos = end;
          }
          out.append(token, pos, std::string::npos);
          token = std::move(out);
        } else {
          token = replace_literal(token, step.pattern, step.content);
        }
      }
      return;
    case Step::Kind::kByteFallback: {
      // Runs of "<0xNN>" tokens become one token of raw bytes.
      std::vector<std::string> out;
      out.reserve(tokens.size());
      std::string bytes;
      bool in_run = false;
      for (std::string& token : tokens) {
        const int byte = fallback_byte(token);
        if (byte >= 0) {
          bytes.push_back(static_cast<char>(byte));
          in_run = true;
          continue;
        }
        if (in_run) {
          out.push_back(std::move(bytes));
          bytes.clear();
          in_run = false;
        }
        out.push_back(std::move(token));
      }
      if (in_run) {
        out.push_back(std::move(bytes));
      }
      tokens = std::move(out);
      return;
    }
    case Step::Kind::kFuse: {
      std::string joined;
      for (const std::string& token : tokens) {
        joined += token;
      }
      tokens.assign(1, std::move(joined));
      return;
    }
    case Step::Kind::kStrip:
      for (std::string& token : tokens) {
        std::size_t begin = 0;
        for (std::size_t i = 0;
             i < step.start && token.compare(begin, step.pattern.size(), step.pattern) == 0; ++i) {
          begin += step.pattern.size();
        }
        std::size_t end = token.size();
        for (std::size_t i = 0;
             i < step.stop && end >= begin + step.pattern.size() &&
             token.compare(end - step.pattern.size(), step.pattern.size(), step.pattern) == 0;
             ++i) {
          end -= step.pattern.size();
        }
        token = token.substr(begin, end - begin);
      }
      return;
    case Step::Kind::kMetaspace:
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = replace_literal(tokens[i], step.pattern, i == 0 && step.strip_first ? "" : " ");
      }
      return;
  }
}

std::string TokenDecoder::decode(std::vector<std::string> tokens) const {
  if (steps_.empty()) {
    std::string joined;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) {
        joined += ' ';
      }
      joined += tokens[i];
    }
    return joined;
  }
  for (const Step& step : steps_) {
    apply(step, tokens);
  }
  std::string joined;
  for (const std::string& token : tokens) {
    joined += token;
  }
  return joined;
}

}  // namespace disaggd::engine
