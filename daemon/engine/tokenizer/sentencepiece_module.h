// The entry point of libdisaggd_sentencepiece.so, the private module (core/plugins/
// private_module.h) that holds the tokenizer.model support and libsentencepiece with it.
#pragma once

#include <string>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_config.h"

namespace disaggd::engine {

/// Loads the SentencePiece model `path`; `config` (may be null) is the tokenizer_config.json.
/// On success stores a new tokenizer in *out (the caller owns it and must keep the module loaded
/// while it lives) and returns 0; otherwise returns a core::StatusCode value and sets *error.
/// Never throws. Built by the same compiler as the daemon: C++ types may cross here, unlike the
/// plugin ABI.
using SentencePieceLoadFn = int(const char* path, const TokenizerConfig* config, Tokenizer** out,
                                std::string* error);

/// The exported name of the SentencePieceLoadFn.
inline constexpr const char* kSentencePieceLoadSymbol = "disaggd_sentencepiece_load_v1";

/// The module's file name.
inline constexpr const char* kSentencePieceModuleFile = "libdisaggd_sentencepiece.so";

}  // namespace disaggd::engine
