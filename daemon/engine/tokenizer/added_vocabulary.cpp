// AddedVocabulary: leftmost-longest matching of added tokens, with lstrip/rstrip/single_word.
#include "engine/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

/// Unicode White_Space (what Rust's char::is_whitespace, used by Hugging Face, tests).
bool is_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

/// Word characters for single_word: ASCII letters, digits and '_', and any non-ASCII character
/// that is not whitespace (an approximation of Unicode's \w that needs no property tables).
bool is_word_char(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           cp == '_';
  }
  return !is_whitespace(cp);
}

/// Start of the code point that ends just before `pos` (pos > 0).
std::size_t previous_code_point(std::string_view text, std::size_t pos) {
  do {
    --pos;
  } while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80);
  return pos;
}

}  // namespace

void AddedVocabulary::add(AddedToken token) {
  if (token.content.empty()) {
    return;
  }
  const auto existing = by_id_.find(token.id);
  if (existing != by_id_.end()) {
    tokens_[existing->second] = std::move(token);
    rebuild();
    return;
  }
  // A new token: index it without rebuilding everything (files may add thousands).
  const std::size_t index = tokens_.size();
  by_id_.emplace(token.id, index);
  tokens_.push_back(std::move(token));
  const AddedToken& added = tokens_.back();
  by_content_[added.content] = added.id;
  auto& list = by_first_byte_[static_cast<unsigned char>(added.content[0])];
  const auto position = std::find_if(list.begin(), list.end(), [&](std::size_t other) {
    return tokens_[other].content.size() < added.content.size();
  });
  list.insert(position, index);
  (added.normalized ? normalized_count_ : raw_count_) += 1;
  max_id_ = std::max(max_id_, added.id);
}

void AddedVocabulary::rebuild() {
  by_content_.clear();
  for (auto& list : by_first_byte_) {
    list.clear();
  }
  raw_count_ = 0;
  normalized_count_ = 0;
  max_id_ = -1;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    by_content_[token.content] = token.id;
    by_first_byte_[static_cast<unsigned char>(token.content[0])].push_back(i);
    (token.normalized ? normalized_count_ : raw_count_) += 1;
    max_id_ = std::max(max_id_, token.id);
  }
  for (auto& list : by_first_byte_) {
    std::stable_sort(list.begin(), list.end(), [this](std::size_t a, std::size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
}

const AddedToken* AddedVocabulary::find(TokenId id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<TokenId> AddedVocabulary::find(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<AddedVocabulary::Segment> AddedVocabulary::split(std::string_view text,
                                                             bool normalized) const {
  std::vector<Segment> segments;
  std::size_t plain_start = 0;  // start of the plain text not yet emitted
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto& candidates = by_first_byte_[static_cast<unsigned char>(text[pos])];
    const AddedToken* match = nullptr;
    for (const std::size_t index : candidates) {
      const AddedToken& token = tokens_[index];
      if (token.normalized != normalized ||
          text.substr(pos).substr(0, token.content.size()) != token.content) {
        continue;
      }
      if (token.single_word) {
        bool word_before = false;
        if (pos > 0) {
          std::size_t before = previous_code_point(text, pos);
          word_before = is_word_char(utf8_next_code_point(text, before));
        }
        std::size_t after = pos + token.content.size();
        const bool word_after =
            after < text.size() && is_word_char(utf8_next_code_point(text, after));
        if (word_before || word_after) {
          continue;
        }
      }
      match = &token;
      break;
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    std::size_t start = pos;
    std::size_t end = pos + match->content.size();
    if (match->lstrip) {
      while (start > plain_start) {
        const std::size_t prev = previous_code_point(text, start);
        std::size_t probe = prev;
        if (!is_whitespace(utf8_next_code_point(text, probe))) {
          break;
        }
        start = prev;
      }
    }
    if (match->rstrip) {
      while (end < text.size()) {
        std::size_t next = end;
        if (!is_whitespace(utf8_next_code_point(text, next))) {
          break;
        }
        end = next;
      }
    }
    if (start > plain_start) {
      segments.push_back(
          {text.substr(plain_start, start - plain_start), std::nullopt, plain_start});
    }
    segments.push_back({text.substr(pos, match->content.size()), match->id, pos});
    plain_start = end;
    pos = end;
  }
  if (plain_start < text.size() || segments.empty()) {
    segments.push_back({text.substr(plain_start), std::nullopt, plain_start});
  }
  return segments;
}

}  // namespace disaggd::engine
