// Tokenizer loading: picks the file, reads the config, and puts the file name on every error.
#include "engine/tokenizer/tokenizer_loader.h"

#include <optional>

#include "core/plugins/private_module.h"
#include "engine/common/json_file.h"
#include "engine/tokenizer/hf_tokenizer.h"
#include "engine/tokenizer/module_tokenizer.h"
#include "engine/tokenizer/sentencepiece_module.h"

namespace disaggd::engine {

core::Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(const std::filesystem::path& file,
                                                             const TokenizerConfig* config) {
  core::Result<nlohmann::json> root = read_json_file(file);
  if (!root.ok()) {
    return root.status();
  }
  auto build = [&]() -> core::Result<std::unique_ptr<HfTokenizer>> {
    try {
      return HfTokenizer::create(*root, config, file.string());
    } catch (const nlohmann::json::exception& e) {
      // The builders check types before reading; this is the net for a shape they did not foresee.
      return core::Status(core::StatusCode::kInvalidArgument,
                          std::string("unexpected JSON structure: ") + e.what());
    }
  };
  core::Result<std::unique_ptr<HfTokenizer>> tokenizer = build();
  if (!tokenizer.ok()) {
    return tokenizer.status().with_context(file.string());
  }
  return std::unique_ptr<Tokenizer>(std::move(tokenizer).value());
}

core::Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::filesystem::path& file,
                                                                  const TokenizerConfig* config) {
  // libsentencepiece lives in a private module: see core/plugins/private_module.h for why.
  auto module = core::PrivateModule::open(kSentencePieceModuleFile);
  if (!module.ok()) {
    return module.status().with_context(file.string() + ": tokenizer.model support");
  }
  SentencePieceLoadFn* load = (*module)->function<SentencePieceLoadFn>(kSentencePieceLoadSymbol);
  if (load == nullptr) {
    return (*module)->missing_symbol_error(kSentencePieceLoadSymbol);
  }
  Tokenizer* raw = nullptr;
  std::string error;
  const int code = load(file.c_str(), config, &raw, &error);
  if (code != 0 || raw == nullptr) {
    return core::Status(
        code == 0 ? core::StatusCode::kInternal : static_cast<core::StatusCode>(code), error);
  }
  return std::unique_ptr<Tokenizer>(
      std::make_unique<ModuleTokenizer>(std::unique_ptr<Tokenizer>(raw), *module));
}

core::Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return core::Status(core::StatusCode::kNotFound, folder.string() + ": no such folder");
  }
  std::optional<TokenizerConfig> config;
  const std::filesystem::path config_file = folder / "tokenizer_config.json";
  if (std::filesystem::exists(config_file, ec)) {
    core::Result<TokenizerConfig> read = read_tokenizer_config(config_file);
    if (!read.ok()) {
      return read.status();
    }
    config = std::move(read).value();
  }
  const TokenizerConfig* config_ptr = config ? &*config : nullptr;
  if (std::filesystem::exists(folder / "tokenizer.json", ec)) {
    return load_tokenizer_json(folder / "tokenizer.json", config_ptr);
  }
  if (std::filesystem::exists(folder / "tokenizer.model", ec)) {
    return load_sentencepiece_model(folder / "tokenizer.model", config_ptr);
  }
  return core::Status(core::StatusCode::kNotFound,
                      folder.string() + ": no tokenizer.json or tokenizer.model");
}

}  // namespace disaggd::engine
