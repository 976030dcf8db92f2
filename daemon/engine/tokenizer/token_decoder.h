// TokenDecoder: the "decoder" step of a tokenizer.json, which turns token strings back into text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "engine/tokenizer/pcre_regex.h"

namespace disaggd::engine {

/// A chain of decoders working, as Hugging Face's decode_chain does, on the list of token strings.
/// Supported types: ByteLevel, Replace (String or Regex pattern), ByteFallback, Fuse, Strip,
/// Metaspace and Sequence; null joins the tokens with spaces, as Hugging Face does.
///
/// One departure, on purpose: ByteLevel and ByteFallback produce raw bytes and the repair of
/// ill-formed UTF-8 happens once, at the end (Tokenizer::decode), so the incremental detokenizer
/// can hold back an incomplete character instead of seeing U+FFFD.
class TokenDecoder {
 public:
  /// Builds the chain from tokenizer.json's "decoder" value; kUnsupported names a type this build
  /// does not implement.
  static core::Result<TokenDecoder> from_json(const nlohmann::json& spec);

  /// The bytes of `tokens` decoded and joined.
  std::string decode(std::vector<std::string> tokens) const;

  /// Whether the chain is empty (tokens are joined with a space).
  bool empty() const { return steps_.empty(); }

 private:
  struct Step {
    enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace } kind;
    std::string pattern;             ///< Replace: literal pattern; Strip, Metaspace: the character.
    std::string content;             ///< Replace: the replacement.
    std::optional<PcreRegex> regex;  ///< Replace with a Regex pattern.
    std::size_t start = 0;           ///< Strip: characters to remove at the start of each token.
    std::size_t stop = 0;            ///< Strip: characters to remove at the end of each token.
    bool strip_first = true;         ///< Metaspace: the first token loses its replacements.
  };

  static core::Status add(const nlohmann::json& spec, std::vector<Step>& steps);
  static void apply(const Step& step, std::vector<std::string>& tokens);

  std::vector<Step> steps_;
};

}  // namespace disaggd::engine
