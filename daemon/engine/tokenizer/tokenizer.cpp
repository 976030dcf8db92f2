// Tokenizer: what all tokenizers share (decode on top of decode_bytes, id checks).
#include "engine/tokenizer/tokenizer.h"

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {

core::Result<std::string> Tokenizer::decode(std::span<const TokenId> ids,
                                            bool skip_special_tokens) const {
  core::Result<std::string> bytes = decode_bytes(ids, skip_special_tokens);
  if (!bytes.ok()) {
    return bytes.status();
  }
  if (is_valid_utf8(*bytes)) {
    return std::move(bytes).value();
  }
  return utf8_repair(*bytes);
}

core::Status Tokenizer::check_id(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= vocab_size()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "token id " + std::to_string(id) + " is out of range (vocabulary size " +
                            std::to_string(vocab_size()) + ")");
  }
  return core::Status();
}

}  // namespace disaggd::engine
