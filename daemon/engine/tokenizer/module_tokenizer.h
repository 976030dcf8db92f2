// ModuleTokenizer: a Tokenizer made by a private module's code, keeping the module loaded while
// it lives.
#pragma once

#include <memory>

#include "core/plugins/private_module.h"
#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

/// Forwards every call to `inner`, which the module's code created; `module` outlives it.
class ModuleTokenizer final : public Tokenizer {
 public:
  ModuleTokenizer(std::unique_ptr<Tokenizer> inner, std::shared_ptr<core::PrivateModule> module);
  ~ModuleTokenizer() override;

  core::Result<std::vector<TokenId>> encode(std::string_view text,
                                            bool add_special_tokens) const override;
  core::Result<std::string> decode_bytes(std::span<const TokenId> ids,
                                         bool skip_special_tokens) const override;
  std::optional<std::string> token_to_piece(TokenId id) const override;
  std::optional<TokenId> piece_to_id(std::string_view piece) const override;
  std::size_t vocab_size() const override;
  bool is_special(TokenId id) const override;
  std::string description() const override;

 private:
  std::shared_ptr<core::PrivateModule> module_;  // declared first: destroyed after inner_
  std::unique_ptr<Tokenizer> inner_;
};

}  // namespace disaggd::engine
