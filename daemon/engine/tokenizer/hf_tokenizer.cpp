// HfTokenizer: tokenizer.json parsing (model, added tokens, post-processor) and the encode/decode
// pipeline.
#include "engine/tokenizer/hf_tokenizer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

using json_fields::flag;
using json_fields::invalid;
using json_fields::unsupported;

/// True when `key` is absent, null or an empty string.
bool absent_or_empty(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty());
}

core::Result<std::unique_ptr<BpeModel>> read_model(const nlohmann::json& model) {
  if (!model.is_object()) {
    return invalid("model: expected an object");
  }
  std::string type = "BPE";  // files of old tokenizers versions have no type
  if (const auto it = model.find("type"); it != model.end()) {
    if (!it->is_string()) {
      return invalid("model.type: expected a string");
    }
    type = it->get<std::string>();
  }
  if (type != "BPE") {
    return unsupported("unsupported model type \"" + type + "\"; supported: BPE");
  }
  if (const auto it = model.find("dropout");
      it != model.end() && !it->is_null() && !(it->is_number() && it->get<double>() == 0.0)) {
    return unsupported("model: BPE dropout is not supported (it makes encoding random)");
  }
  if (!absent_or_empty(model, "continuing_subword_prefix") ||
      !absent_or_empty(model, "end_of_word_suffix")) {
    return unsupported("model: continuing_subword_prefix and end_of_word_suffix are not supported");
  }

  const auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) {
    return invalid("model.vocab: expected an object of token -> id");
  }
  std::vector<std::pair<std::string, TokenId>> vocab;
  vocab.reserve(vocab_it->size());
  for (const auto& [token, id] : vocab_it->items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
        id.get<std::int64_t>() > kMaxTokenId) {
      return invalid("model.vocab: the id of \"" + token + "\" is not a token id in [0, " +
                     std::to_string(kMaxTokenId) + "]");
    }
    vocab.emplace_back(token, static_cast<TokenId>(id.get<std::int64_t>()));
  }

  std::vector<BpeModel::Merge> merges;
  if (const auto it = model.find("merges"); it != model.end() && !it->is_null()) {
    if (!it->is_array()) {
      return invalid("model.merges: expected an array");
    }
    merges.reserve(it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
      const nlohmann::json& merge = (*it)[i];
      if (merge.is_string()) {
        const std::string text = merge.get<std::string>();
        const std::size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          return invalid("model.merges[" + std::to_string(i) + "]: \"" + text +
                         "\" is not two tokens separated by one space");
        }
        merges.emplace_back(text.substr(0, space), text.substr(space + 1));
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
                 merge[1].is_string()) {
        merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
      } else {
        return invalid("model.merges[" + std::to_string(i) +
                       "]: expected \"left right\" or [\"left\", \"right\"]");
      }
    }
  }

  BpeModel::Options options;
  if (const auto it = model.find("unk_token"); it != model.end() && it->is_string()) {
    options.unk_token = it->get<std::string>();
  }
  options.byte_fallback = flag(model, "byte_fallback", false);
  options.fuse_unk = flag(model, "fuse_unk", false);
  options.ignore_merges = flag(model, "ignore_merges", false);
  core::Result<std::unique_ptr<BpeModel>> built =
      BpeModel::create(std::move(vocab), merges, std::move(options));
  if (!built.ok()) {
    return built.status().with_context("model");
  }
  return built;
}

core::Status read_added_tokens(const nlohmann::json& root, AddedVocabulary& added) {
  const auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) {
    return core::Status();
  }
  if (!it->is_array()) {
    return invalid("added_tokens: expected an array");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& entry = (*it)[i];
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        entry["id"].get<std::int64_t>() < 0 || entry["id"].get<std::int64_t>() > kMaxTokenId ||
        !entry.contains("content") || !entry["content"].is_string()) {
      return invalid("added_tokens[" + std::to_string(i) +
                     "]: expected an object with an integer \"id\" and a string \"content\"");
    }
    AddedToken token;
    token.id = static_cast<TokenId>(entry["id"].get<std::int64_t>());
    token.content = entry["content"].get<std::string>();
    token.special = flag(entry, "special", false);
    token.lstrip = flag(entry, "lstrip", false);
    token.rstrip = flag(entry, "rstrip", false);
    token.single_word = flag(entry, "single_word", false);
    token.normalized = flag(entry, "normalized", !token.special);
    added.add(std::move(token));
  }
  return core::Status();
}

/// What the post-processor adds around a single sequence.
struct Template {
  std::vector<TokenId> prefix;
  std::vector<TokenId> suffix;
};

core::Status read_post_processor(const nlohmann::json& spec, Template& out) {
  if (spec.is_null()) {
    return core::Status();
  }
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    return invalid("post_processor: expected an object with a \"type\"");
  }
  const std::string type = spec["type"].get<std::string>();
  if (type == "ByteLevel") {
    return core::Status();  // only adjusts offsets
  }
  if (type == "Sequence") {
    const auto it = spec.find("processors");
    if (it == spec.end() || !it->is_array()) {
      return invalid("post_processor Sequence: expected a \"processors\" array");
    }
    for (const auto& child : *it) {
      DISAGGD_RETURN_IF_ERROR(read_post_processor(child, out));
    }
    return core::Status();
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    const auto cls = spec.find("cls");
    const auto sep = spec.find("sep");
    if (cls == spec.end() || sep == spec.end() || !cls->is_array() || cls->size() != 2 ||
        !(*cls)[1].is_number_integer() || !sep->is_array() || sep->size() != 2 ||
        !(*sep)[1].is_number_integer()) {
      return invalid("post_processor " + type + ": expected \"cls\" and \"sep\" as [token, id]");
    }
    out.prefix.push_back((*cls)[1].get<TokenId>());
    out.suffix.push_back((*sep)[1].get<TokenId>());
    return core::Status();
  }
  if (type != "TemplateProcessing") {
    return unsupported("unsupported post_processor type \"" + type +
                       "\"; supported: TemplateProcessing, ByteLevel, RobertaProcessing, "
                       "BertProcessing, Sequence");
  }
  const auto single = spec.find("single");
  if (single == spec.end() || !single->is_array()) {
    return invalid("post_processor TemplateProcessing: expected a \"single\" array");
  }
  const auto specials = spec.find("special_tokens");
  bool seen_sequence = false;
  for (const auto& item : *single) {
    if (item.contains("Sequence")) {
      seen_sequence = true;
      continue;
    }
    if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id") ||
        !item["SpecialToken"]["id"].is_string()) {
      return invalid("post_processor TemplateProcessing: expected Sequence or SpecialToken items");
    }
    const std::string name = item["SpecialToken"]["id"].get<std::string>();
    if (specials == spec.end() || !specials->is_object() || !specials->contains(name) ||
        !(*specials)[name].contains("ids") || !(*specials)[name]["ids"].is_array()) {
      return invalid("post_processor TemplateProcessing: special token \"" + name +
                     "\" is not in \"special_tokens\"");
    }
    for (const auto& id : (*specials)[name]["ids"]) {
      if (!id.is_number_integer()) {
        return invalid("post_processor TemplateProcessing: ids of \"" + name +
                       "\" must be integers");
      }
      (seen_sequence ? out.suffix : out.prefix).push_back(id.get<TokenId>());
    }
  }
  return core::Status();
}

}  // namespace

HfTokenizer::HfTokenizer(TokenizerSpecials specials, Parts parts)
    : Tokenizer(std::move(specials)),
      model_(std::move(parts.model)),
      added_(std::move(parts.added)),
      normalizer_(std::move(parts.normalizer)),
      pre_tokenizer_(std::move(parts.pre_tokenizer)),
      decoder_(std::move(parts.decoder)),
      special_(std::move(parts.special)),
      vocab_size_(parts.vocab_size),
      source_(std::move(parts.source)) {}

core::Result<std::unique_ptr<HfTokenizer>> HfTokenizer::create(const nlohmann::json& root,
                                                               const TokenizerConfig* config,
                                                               std::string source) {
  if (!root.is_object()) {
    return invalid("expected a JSON object at the top level");
  }
  if (!root.contains("model")) {
    return invalid("no \"model\" object");
  }
  Parts parts;
  parts.source = std::move(source);
  core::Result<std::unique_ptr<BpeModel>> model = read_model(root["model"]);
  if (!model.ok()) {
    return model.status();
  }
  parts.model = std::move(model).value();
  DISAGGD_RETURN_IF_ERROR(read_added_tokens(root, parts.added));
  if (config != nullptr) {
    // transformers adds the tokens of added_tokens_decoder that tokenizer.json lacks.
    for (const AddedToken& token : config->added_tokens) {
      if (token.id > kMaxTokenId) {
        return invalid("tokenizer_config.json: added token id " + std::to_string(token.id) +
                       " is above " + std::to_string(kMaxTokenId));
      }
      if (parts.added.find(token.id) == nullptr) {
        parts.added.add(token);
      }
    }
  }

  const nlohmann::json null_json;
  auto part = [&root, &null_json](const char* key) -> const nlohmann::json& {
    const auto it = root.find(key);
    return it == root.end() ? null_json : *it;
  };
  core::Result<Normalizer> normalizer = Normalizer::from_json(part("normalizer"));
  if (!normalizer.ok()) {
    return normalizer.status();
  }
  parts.normalizer = std::move(normalizer).value();
  core::Result<PreTokenizer> pre_tokenizer = PreTokenizer::from_json(part("pre_tokenizer"));
  if (!pre_tokenizer.ok()) {
    return pre_tokenizer.status();
  }
  parts.pre_tokenizer = std::move(pre_tokenizer).value();
  core::Result<TokenDecoder> decoder = TokenDecoder::from_json(part("decoder"));
  if (!decoder.ok()) {
    return decoder.status();
  }
  parts.decoder = std::move(decoder).value();
  Template post;
  DISAGGD_RETURN_IF_ERROR(read_post_processor(part("post_processor"), post));

  parts.vocab_size = std::max<std::size_t>(parts.model->size(),
                                           static_cast<std::size_t>(parts.added.max_id() + 1));
  auto lookup = [&parts](const std::string& piece) -> std::optional<TokenId> {
    if (const auto id = parts.added.find(piece)) {
      return id;
    }
    return parts.model->token_to_id(piece);
  };
  for (const TokenId id : post.prefix) {
    if (id < 0 || static_cast<std::size_t>(id) >= parts.vocab_size) {
      return invalid("post_processor: token id " + std::to_string(id) + " is out of range");
    }
  }
  for (const TokenId id : post.suffix) {
    if (id < 0 || static_cast<std::size_t>(id) >= parts.vocab_size) {
      return invalid("post_processor: token id " + std::to_string(id) + " is out of range");
    }
  }

  TokenizerSpecials specials;
  specials.prefix = post.prefix;
  specials.suffix = post.suffix;
  specials.unk = parts.model->unk_id();
  if (config != nullptr) {
    if (config->bos_token) {
      specials.bos = lookup(*config->bos_token);
    }
    if (config->eos_token) {
      specials.eos = lookup(*config->eos_token);
    }
    if (!specials.unk && config->unk_token) {
      specials.unk = lookup(*config->unk_token);
    }
    // transformers' Llama-family fast tokenizers rebuild the template from these flags.
    if (config->add_bos_token) {
      if (*config->add_bos_token && !specials.bos) {
        return invalid("tokenizer_config.json: add_bos_token is true but bos_token is " +
                       (config->bos_token ? "\"" + *config->bos_token + "\", which is not a token"
                                          : std::string("not set")));
      }
      specials.prefix.clear();
      if (*config->add_bos_token) {
        specials.prefix.push_back(*specials.bos);
      }
    }
    if (config->add_eos_token) {
      if (*config->add_eos_token && !specials.eos) {
        return invalid("tokenizer_config.json: add_eos_token is true but eos_token is " +
                       (config->eos_token ? "\"" + *config->eos_token + "\", which is not a token"
                                          : std::string("not set")));
      }
      specials.suffix.clear();
      if (*config->add_eos_token) {
        specials.suffix.push_back(*specials.eos);
      }
    }
  }
  if (!specials.bos && post.prefix.size() == 1) {
    specials.bos = post.prefix.front();
  }
  if (!specials.eos && post.suffix.size() == 1) {
    specials.eos = post.suffix.front();
  }

  parts.special.assign(parts.vocab_size, false);
  for (const AddedToken& token : parts.added.tokens()) {
    if (token.special) {
      parts.special[static_cast<std::size_t>(token.id)] = true;
    }
  }
  for (const std::optional<TokenId>& id : {specials.bos, specials.eos, specials.unk}) {
    if (id) {
      parts.special[static_cast<std::size_t>(*id)] = true;
    }
  }
  if (config != nullptr && config->pad_token) {
    if (const auto pad = lookup(*config->pad_token)) {
      parts.special[static_cast<std::size_t>(*pad)] = true;
    }
  }
  return std::unique_ptr<HfTokenizer>(new HfTokenizer(std::move(specials), std::move(parts)));
}

core::Result<std::vector<TokenId>> HfTokenizer::encode(std::string_view text,
                                                       bool add_special_tokens) const {
  const std::size_t valid = utf8_valid_prefix_length(text);
  if (valid != text.size()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "text is not valid UTF-8 (at byte " + std::to_string(valid) + ")");
  }
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) {
    ids.insert(ids.end(), specials().prefix.begin(), specials().prefix.end());
  }
  std::vector<std::string> words;
  for (const AddedVocabulary::Segment& segment : added_.split(text, false)) {
    if (segment.id) {
      ids.push_back(*segment.id);
      continue;
    }
    if (segment.text.empty()) {
      continue;
    }
    core::Result<std::string> normalized = normalizer_.normalize(segment.text);
    if (!normalized.ok()) {
      return normalized.status();
    }
    const std::string& normal = *normalized;
    std::vector<AddedVocabulary::Segment> pieces;
    if (added_.has_tokens(true)) {
      pieces = added_.split(normal, true);
    } else {
      pieces.push_back({normal, std::nullopt, 0});
    }
    for (const AddedVocabulary::Segment& piece : pieces) {
      if (piece.id) {
        ids.push_back(*piece.id);
        continue;
      }
      words.clear();
      DISAGGD_RETURN_IF_ERROR(
          pre_tokenizer_.split(piece.text, segment.offset == 0 && piece.offset == 0, words));
      for (const std::string& word : words) {
        model_->tokenize(word, ids);
      }
    }
  }
  if (add_special_tokens) {
    ids.insert(ids.end(), specials().suffix.begin(), specials().suffix.end());
  }
  return ids;
}

core::Result<std::string> HfTokenizer::decode_bytes(std::span<const TokenId> ids,
                                                    bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const TokenId id : ids) {
    DISAGGD_RETURN_IF_ERROR(check_id(id));
    if (skip_special_tokens && special_[static_cast<std::size_t>(id)]) {
      continue;
    }
    if (const AddedToken* added = added_.find(id)) {
      tokens.push_back(added->content);
      continue;
    }
    const std::string* piece = model_->id_to_token(id);
    if (piece == nullptr) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "token id " + std::to_string(id) + " has no token in the vocabulary");
    }
    tokens.push_back(*piece);
  }
  return decoder_.decode(std::move(tokens));
}

std::optional<std::string> HfTokenizer::token_to_piece(TokenId id) const {
  if (const AddedToken* added = added_.find(id)) {
    return added->content;
  }
  if (const std::string* piece = model_->id_to_token(id)) {
    return *piece;
  }
  return std::nullopt;
}

std::optional<TokenId> HfTokenizer::piece_to_id(std::string_view piece) const {
  if (const auto id = added_.find(piece)) {
    return id;
  }
  return model_->token_to_id(piece);
}

bool HfTokenizer::is_special(TokenId id) const {
  return id >= 0 && static_cast<std::size_t>(id) < special_.size() &&
         special_[static_cast<std::size_t>(id)];
}

std::string HfTokenizer::description() const {
  return "tokenizer.json BPE (" + std::string(byte_level() ? "byte-level" : "SentencePiece-style") +
         ", " + std::to_string(vocab_size_) + " tokens, " + std::to_string(model_->merge_count()) +
         " merges) from " + source_;
}

}  // namespace disaggd::engine
