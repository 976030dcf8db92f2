// Forwarding to the module's tokenizer.
#include "engine/tokenizer/module_tokenizer.h"

namespace disaggd::engine {

ModuleTokenizer::ModuleTokenizer(std::unique_ptr<Tokenizer> inner,
                                 std::shared_ptr<core::PrivateModule> module)
    : Tokenizer(inner->specials()), module_(std::move(module)), inner_(std::move(inner)) {}

ModuleTokenizer::~ModuleTokenizer() = default;

core::Result<std::vector<TokenId>> ModuleTokenizer::encode(std::string_view text,
                                                           bool add_special_tokens) const {
  return inner_->encode(text, add_special_tokens);
}

core::Result<std::string> ModuleTokenizer::decode_bytes(std::span<const TokenId> ids,
                                                        bool skip_special_tokens) const {
  return inner_->decode_bytes(ids, skip_special_tokens);
}

std::optional<std::string> ModuleTokenizer::token_to_piece(TokenId id) const {
  return inner_->token_to_piece(id);
}

std::optional<TokenId> ModuleTokenizer::piece_to_id(std::string_view piece) const {
  return inner_->piece_to_id(piece);
}

std::size_t ModuleTokenizer::vocab_size() const {
  return inner_->vocab_size();
}

bool ModuleTokenizer::is_special(TokenId id) const {
  return inner_->is_special(id);
}

std::string ModuleTokenizer::description() const {
  return inner_->description();
}

}  // namespace disaggd::engine
