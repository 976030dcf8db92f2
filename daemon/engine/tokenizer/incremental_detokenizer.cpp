// IncrementalDetokenizer: the window technique of text-generation-inference and vLLM (decode a few
// ids before and after the new one, emit the difference), done on bytes so that an incomplete
// UTF-8 character is held back rather than turned into U+FFFD.
#include "engine/tokenizer/incremental_detokenizer.h"

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer,
                                               std::span<const TokenId> context,
                                               bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {
  window_.assign(context.begin(), context.end());
  read_offset_ = window_.size();
  slide_window();
}

void IncrementalDetokenizer::slide_window() {
  // A skipped special token decodes to nothing, so starting the window at one would make the next
  // word look like the first of the text (and lose its leading space in SentencePiece decoders).
  std::size_t start = window_.size();
  while (start > 0) {
    --start;
    const TokenId id = window_[start];
    if (!(skip_special_tokens_ && tokenizer_.is_special(id))) {
      window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(start));
      read_offset_ -= start;
      return;
    }
  }
  // Only skipped ids so far: keep them all; they decode to nothing, so the window still decodes
  // as the whole sequence does.
}

core::Result<std::string> IncrementalDetokenizer::push(TokenId id) {
  window_.push_back(id);
  const std::span<const TokenId> all(window_);
  core::Result<std::string> before =
      tokenizer_.decode_bytes(all.first(read_offset_), skip_special_tokens_);
  core::Result<std::string> after = before.ok() ? tokenizer_.decode_bytes(all, skip_special_tokens_)
                                                : core::Result<std::string>(before.status());
  if (!after.ok()) {
    window_.pop_back();
    return after.status();
  }
  if (!after->starts_with(*before)) {
    // The new id changed text already decoded; no supported decoder does that. Wait for more ids
    // (the window grows) rather than emit text that would have to be taken back.
    return std::string();
  }
  pending_.append(*after, before->size(), std::string::npos);
  read_offset_ = window_.size();
  slide_window();
  return take_complete();
}

std::string IncrementalDetokenizer::take_complete() {
  const std::size_t tail = utf8_incomplete_tail_length(pending_);
  const std::string_view complete = std::string_view(pending_).substr(0, pending_.size() - tail);
  std::string out = is_valid_utf8(complete) ? std::string(complete) : utf8_repair(complete);
  pending_.erase(0, pending_.size() - tail);
  return out;
}

std::string IncrementalDetokenizer::finish() {
  // Whatever the window still holds undecoded (only after a decoder broke the prefix rule).
  if (read_offset_ < window_.size()) {
    const std::span<const TokenId> all(window_);
    core::Result<std::string> before =
        tokenizer_.decode_bytes(all.first(read_offset_), skip_special_tokens_);
    core::Result<std::string> after = tokenizer_.decode_bytes(all, skip_special_tokens_);
    if (before.ok() && after.ok() && after->size() >= before->size()) {
      pending_.append(*after, before->size(), std::string::npos);
    }
    read_offset_ = window_.size();
    slide_window();
  }
  std::string out = utf8_repair(pending_);
  pending_.clear();
  return out;
}

}  // namespace disaggd::engine
