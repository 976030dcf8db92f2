// libdisaggd_sentencepiece.so: SentencePieceTokenizer behind one C-linkage entry point.
#include "engine/tokenizer/sentencepiece_module.h"

#include <exception>
#include <type_traits>

#include "engine/tokenizer/sentencepiece_tokenizer.h"

extern "C" disaggd::engine::SentencePieceLoadFn disaggd_sentencepiece_load_v1;
// The declaration above makes the compiler check this definition against the loader's type.
extern "C" __attribute__((visibility("default"))) int disaggd_sentencepiece_load_v1(
    const char* path, const disaggd::engine::TokenizerConfig* config,
    disaggd::engine::Tokenizer** out, std::string* error) {
  try {
    auto tokenizer = disaggd::engine::SentencePieceTokenizer::load(path, config);
    if (!tokenizer.ok()) {
      *error = tokenizer.status().message();
      return static_cast<int>(tokenizer.status().code());
    }
    *out = std::move(tokenizer).value().release();
    return 0;
  } catch (const std::exception& e) {
    *error = std::string("tokenizer.model: ") + e.what();
  } catch (...) {
    *error = "tokenizer.model: unknown error";
  }
  return static_cast<int>(disaggd::core::StatusCode::kInternal);
}
