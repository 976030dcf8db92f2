// BpeModel: the merge loop uses a priority queue of candidate pairs over a linked list of symbols,
// so a long word (a run of spaces, a whole sentence without pre-tokenizer) costs O(n log n).
#include "engine/tokenizer/bpe_model.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <queue>
#include <tuple>

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

constexpr char32_t kSmallCharLimit = 0x800;

std::uint64_t pair_key(TokenId left, TokenId right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

struct Symbol {
  TokenId id;
  int prev;
  int next;
  bool alive;
};

}  // namespace

core::Result<std::unique_ptr<BpeModel>> BpeModel::create(
    std::vector<std::pair<std::string, TokenId>> vocab, const std::vector<Merge>& merges,
    Options options) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  TokenId max_id = -1;
  for (const auto& [token, id] : vocab) {
    if (id < 0 || id > kMaxTokenId) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "vocabulary entry \"" + token + "\" has id " + std::to_string(id) +
                              ", outside [0, " + std::to_string(kMaxTokenId) + "]");
    }
    max_id = std::max(max_id, id);
  }
  model->tokens_.resize(static_cast<std::size_t>(max_id + 1));
  model->has_token_.assign(static_cast<std::size_t>(max_id + 1), false);
  model->small_char_ids_.assign(kSmallCharLimit, -1);
  model->vocab_.reserve(vocab.size());
  for (auto& [token, id] : vocab) {
    const auto index = static_cast<std::size_t>(id);
    if (model->has_token_[index]) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "vocabulary id " + std::to_string(id) + " is used by both \"" +
                              model->tokens_[index] + "\" and \"" + token + "\"");
    }
    model->has_token_[index] = true;
    model->tokens_[index] = token;
    std::size_t pos = 0;
    if (!token.empty() && is_valid_utf8(token)) {
      const char32_t cp = utf8_next_code_point(token, pos);
      if (pos == token.size() && cp < kSmallCharLimit) {
        model->small_char_ids_[cp] = id;
      }
    }
    model->vocab_.emplace(std::move(token), id);
  }

  model->merges_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto left_id = model->token_to_id(left);
    const auto right_id = model->token_to_id(right);
    const auto merged_id = model->token_to_id(left + right);
    if (!left_id || !right_id || !merged_id) {
      const std::string missing = !left_id ? left : !right_id ? right : left + right;
      return core::Status(core::StatusCode::kInvalidArgument,
                          "merge " + std::to_string(rank) + " (\"" + left + "\" \"" + right +
                              "\"): \"" + missing + "\" is not in the vocabulary");
    }
    // A pair listed twice takes its last rank, as in Hugging Face's map built from the list.
    model->merges_.insert_or_assign(pair_key(*left_id, *right_id),
                                    std::make_pair(static_cast<std::uint32_t>(rank), *merged_id));
  }

  if (options.unk_token) {
    model->unk_id_ = model->token_to_id(*options.unk_token);
    if (!model->unk_id_) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "unk_token \"" + *options.unk_token + "\" is not in the vocabulary");
    }
  }
  if (options.byte_fallback) {
    model->byte_ids_.assign(256, -1);
    for (int byte = 0; byte < 256; ++byte) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", byte);
      if (const auto id = model->token_to_id(name)) {
        model->byte_ids_[static_cast<std::size_t>(byte)] = *id;
      }
    }
  }
  model->options_ = std::move(options);
  return model;
}

std::optional<TokenId> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) {
    return std::nullopt;
  }
  return it->second;
}

const std::string* BpeModel::id_to_token(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size() ||
      !has_token_[static_cast<std::size_t>(id)]) {
    return nullptr;
  }
  return &tokens_[static_cast<std::size_t>(id)];
}

std::optional<TokenId> BpeModel::char_id(std::string_view piece, char32_t code_point) const {
  if (code_point < kSmallCharLimit) {
    const TokenId id = small_char_ids_[code_point];
    return id < 0 ? std::nullopt : std::optional<TokenId>(id);
  }
  return token_to_id(piece);
}

void BpeModel::tokenize(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) {
    return;
  }
  if (options_.ignore_merges) {
    if (const auto id = token_to_id(word)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    const auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const std::size_t first = out.size();
  tokenize_uncached(word, out);
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) {
      cache_.try_emplace(std::string(word), out.begin() + static_cast<std::ptrdiff_t>(first),
                         out.end());
    }
  }
}

void BpeModel::tokenize_uncached(std::string_view word, std::vector<TokenId>& out) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto push = [&symbols](TokenId id) {
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({id, index - 1, -1, true});
    if (index > 0) {
      symbols[static_cast<std::size_t>(index - 1)].next = index;
    }
  };
  bool last_was_unk = false;
  for (std::size_t pos = 0; pos < word.size();) {
    const std::size_t start = pos;
    const char32_t cp = utf8_next_code_point(word, pos);
    const std::string_view piece = word.substr(start, pos - start);
    if (const auto id = char_id(piece, cp)) {
      push(*id);
      last_was_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool all_bytes = true;
      for (const char c : piece) {
        all_bytes = all_bytes && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      }
      if (all_bytes) {
        for (const char c : piece) {
          push(byte_ids_[static_cast<unsigned char>(c)]);
        }
        last_was_unk = false;
        continue;
      }
    }
    if (unk_id_) {
      if (!(options_.fuse_unk && last_was_unk)) {
        push(*unk_id_);
      }
      last_was_unk = true;
    }
  }

  // Candidates ordered by (rank, position); stale ones are skipped when popped.
  using Candidate = std::tuple<std::uint32_t, int, TokenId>;  // rank, left index, merged id
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int left) {
    if (left < 0) {
      return;
    }
    const Symbol& a = symbols[static_cast<std::size_t>(left)];
    if (a.next < 0) {
      return;
    }
    const Symbol& b = symbols[static_cast<std::size_t>(a.next)];
    const auto it = merges_.find(pair_key(a.id, b.id));
    if (it != merges_.end()) {
      queue.emplace(it->second.first, left, it->second.second);
    }
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) {
    consider(i);
  }
  while (!queue.empty()) {
    const auto [rank, left, merged] = queue.top();
    queue.pop();
    Symbol& a = symbols[static_cast<std::size_t>(left)];
    if (!a.alive || a.next < 0) {
      continue;
    }
    Symbol& b = symbols[static_cast<std::size_t>(a.next)];
    const auto it = merges_.find(pair_key(a.id, b.id));
    if (it == merges_.end() || it->second.second != merged || it->second.first != rank) {
      continue;  // the pair changed since this candidate was queued
    }
    a.id = merged;
    b.alive = false;
    a.next = b.next;
    if (b.next >= 0) {
      symbols[static_cast<std::size_t>(b.next)].prev = left;
    }
    consider(a.prev);
    consider(left);
  }
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[static_cast<std::size_t>(i)].next) {
    out.push_back(symbols[static_cast<std::size_t>(i)].id);
  }
}

}  // namespace disaggd::engine
