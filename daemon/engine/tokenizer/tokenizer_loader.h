// Loading the tokenizer of a Hugging Face model folder.
#pragma once

#include <filesystem>
#include <memory>

#include "core/status.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_config.h"

namespace disaggd::engine {

/// The tokenizer of a model folder: `tokenizer.json` when present (as transformers' fast
/// tokenizers prefer it), else `tokenizer.model`; `tokenizer_config.json` is applied when present.
/// kNotFound when the folder has neither file.
core::Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& folder);

/// A tokenizer.json file; `config` (may be null) is the tokenizer_config.json to apply.
core::Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(
    const std::filesystem::path& file, const TokenizerConfig* config = nullptr);

/// A SentencePiece tokenizer.model file; `config` (may be null) is the tokenizer_config.json to
/// apply (without one, BOS is added and EOS is not, as for Llama).
core::Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(
    const std::filesystem::path& file, const TokenizerConfig* config = nullptr);

}  // namespace disaggd::engine
