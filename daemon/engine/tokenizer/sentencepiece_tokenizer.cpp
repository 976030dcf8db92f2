// SentencePieceTokenizer: libsentencepiece for encoding, our own table for decoding, and a small
// protobuf reader for the normalizer settings (Debian's libsentencepiece-dev ships no .pb.h).
#include "engine/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "engine/tokenizer/utf8.h"

namespace disaggd::engine {
namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // "▁"

bool read_varint(std::string_view data, std::size_t& pos, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(data[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      return true;
    }
  }
  return false;
}

/// Calls `on_field(number, wire_type, varint, bytes)` for each field of a protobuf message;
/// false when the message is malformed.
template <class OnField>
bool for_each_field(std::string_view message, OnField on_field) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::uint64_t key = 0;
    if (!read_varint(message, pos, key)) {
      return false;
    }
    const auto number = static_cast<std::uint32_t>(key >> 3);
    const auto wire = static_cast<std::uint32_t>(key & 7);
    std::uint64_t value = 0;
    std::string_view bytes;
    switch (wire) {
      case 0:
        if (!read_varint(message, pos, value)) {
          return false;
        }
        break;
      case 1:
        if (message.size() - pos < 8) {
          return false;
        }
        pos += 8;
        break;
      case 2:
        if (!read_varint(message, pos, value) || value > message.size() - pos) {
          return false;
        }
        bytes = message.substr(pos, static_cast<std::size_t>(value));
        pos += static_cast<std::size_t>(value);
        break;
      case 5:
        if (message.size() - pos < 4) {
          return false;
        }
        pos += 4;
        break;
      default:
        return false;
    }
    on_field(number, wire, value, bytes);
  }
  return true;
}

struct ModelSettings {
  SentencePieceTokenizer::NormalizerSettings normalizer;
  bool treat_whitespace_as_suffix = false;
};

/// ModelProto: trainer_spec = 2 (treat_whitespace_as_suffix = 24), normalizer_spec = 3
/// (name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4).
bool read_settings(std::string_view model, ModelSettings& settings) {
  bool ok = true;
  const bool top = for_each_field(
      model, [&](std::uint32_t number, std::uint32_t wire, std::uint64_t, std::string_view bytes) {
        if (wire != 2) {
          return;
        }
        if (number == 2) {
          ok = ok && for_each_field(bytes, [&](std::uint32_t n, std::uint32_t w, std::uint64_t v,
                                               std::string_view) {
                 if (n == 24 && w == 0) {
                   settings.treat_whitespace_as_suffix = v != 0;
                 }
               });
        } else if (number == 3) {
          ok = ok && for_each_field(bytes, [&](std::uint32_t n, std::uint32_t w, std::uint64_t v,
                                               std::string_view b) {
                 if (n == 1 && w == 2) {
                   settings.normalizer.name = std::string(b);
                 } else if (n == 3 && w == 0) {
                   settings.normalizer.add_dummy_prefix = v != 0;
                 } else if (n == 4 && w == 0) {
                   settings.normalizer.remove_extra_whitespaces = v != 0;
                 }
               });
        }
      });
  return top && ok;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(
    TokenizerSpecials specials, std::unique_ptr<sentencepiece::SentencePieceProcessor> processor)
    : Tokenizer(std::move(specials)), processor_(std::move(processor)) {}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

core::Result<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::load(
    const std::filesystem::path& file, const TokenizerConfig* config) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return core::Status(core::StatusCode::kNotFound, file.string() + ": no such file");
  }
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const sentencepiece::util::Status loaded = processor->Load(file.string());
  if (!loaded.ok()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        file.string() + ": not a SentencePiece model: " + loaded.ToString());
  }
  ModelSettings settings;
  if (!read_settings(processor->serialized_model_proto(), settings)) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        file.string() + ": cannot read the model's normalizer settings");
  }
  if (settings.treat_whitespace_as_suffix) {
    return core::Status(core::StatusCode::kUnsupported,
                        file.string() + ": treat_whitespace_as_suffix models are not supported");
  }

  const int size = processor->GetPieceSize();
  auto lookup = [&processor, size](const std::string& piece) -> std::optional<TokenId> {
    const int id = processor->PieceToId(piece);
    if (id < 0 || id >= size || processor->IdToPiece(id) != piece) {
      return std::nullopt;
    }
    return id;
  };

  TokenizerSpecials specials;
  auto id_or_none = [](int id) { return id >= 0 ? std::optional<TokenId>(id) : std::nullopt; };
  specials.bos = id_or_none(processor->bos_id());
  specials.eos = id_or_none(processor->eos_id());
  specials.unk = id_or_none(processor->unk_id());
  AddedVocabulary added;
  // Control pieces (<s>, </s>) and <unk> written in the text become their id, as in Hugging
  // Face's Llama tokenizers, where they are special added tokens.
  for (int id = 0; id < size; ++id) {
    if (processor->IsControl(id) || processor->IsUnknown(id)) {
      added.add({id, processor->IdToPiece(id), true, false, false, false, false});
    }
  }
  bool add_bos = true;
  bool add_eos = false;
  if (config != nullptr) {
    for (const AddedToken& token : config->added_tokens) {
      if (token.id > kMaxTokenId) {
        return core::Status(core::StatusCode::kInvalidArgument,
                            file.string() + ": added token id " + std::to_string(token.id) +
                                " is above " + std::to_string(kMaxTokenId));
      }
      added.add(token);
    }
    auto resolve = [&](const std::string& piece) -> std::optional<TokenId> {
      if (const auto id = added.find(piece)) {
        return id;
      }
      return lookup(piece);
    };
    if (config->bos_token) {
      specials.bos = resolve(*config->bos_token);
    }
    if (config->eos_token) {
      specials.eos = resolve(*config->eos_token);
    }
    add_bos = config->add_bos_token.value_or(true);
    add_eos = config->add_eos_token.value_or(false);
    if (config->add_bos_token.value_or(false) && !specials.bos) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          file.string() + ": add_bos_token is true but the model has no BOS");
    }
    if (add_eos && !specials.eos) {
      return core::Status(core::StatusCode::kInvalidArgument,
                          file.string() + ": add_eos_token is true but the model has no EOS");
    }
  }
  if (add_bos && specials.bos) {
    specials.prefix.push_back(*specials.bos);
  }
  if (add_eos && specials.eos) {
    specials.suffix.push_back(*specials.eos);
  }

  std::unique_ptr<SentencePieceTokenizer> tokenizer(
      new SentencePieceTokenizer(std::move(specials), std::move(processor)));
  sentencepiece::SentencePieceProcessor& sp = *tokenizer->processor_;
  tokenizer->source_ = file.string();
  tokenizer->normalizer_ = settings.normalizer;
  tokenizer->model_size_ = static_cast<std::size_t>(size);
  tokenizer->vocab_size_ =
      std::max(tokenizer->model_size_, static_cast<std::size_t>(added.max_id() + 1));
  tokenizer->kinds_.resize(tokenizer->model_size_);
  tokenizer->pieces_.resize(tokenizer->model_size_);
  for (int id = 0; id < size; ++id) {
    const std::string piece = sp.IdToPiece(id);
    const auto index = static_cast<std::size_t>(id);
    if (sp.IsByte(id)) {
      // Byte pieces are spelled "<0xNN>".
      unsigned value = 0;
      const auto [end, error] =
          piece.size() == 6 ? std::from_chars(piece.data() + 3, piece.data() + 5, value, 16)
                            : std::from_chars_result{piece.data(), std::errc::invalid_argument};
      if (error != std::errc() || end != piece.data() + 5 || value > 0xFF) {
        return core::Status(core::StatusCode::kInvalidArgument, file.string() + ": byte piece " +
                                                                    std::to_string(id) + " is \"" +
                                                                    piece + "\", not <0xNN>");
      }
      tokenizer->kinds_[index] = PieceKind::kByte;
      tokenizer->pieces_[index] = std::string(1, static_cast<char>(value));
    } else if (sp.IsControl(id) || sp.IsUnknown(id)) {
      tokenizer->kinds_[index] = PieceKind::kSpecial;
      tokenizer->pieces_[index] = piece;
    } else {
      tokenizer->kinds_[index] = PieceKind::kNormal;
      std::string text;
      std::size_t pos = 0;
      for (std::size_t hit; (hit = piece.find(kSpaceSymbol, pos)) != std::string::npos;
           pos = hit + kSpaceSymbol.size()) {
        text.append(piece, pos, hit - pos);
        text.push_back(' ');
      }
      text.append(piece, pos, std::string::npos);
      tokenizer->pieces_[index] = std::move(text);
    }
  }
  tokenizer->special_.assign(tokenizer->vocab_size_, false);
  for (const AddedToken& token : added.tokens()) {
    if (token.special) {
      tokenizer->special_[static_cast<std::size_t>(token.id)] = true;
    }
  }
  for (const auto& id : {tokenizer->bos_id(), tokenizer->eos_id(), tokenizer->unk_id()}) {
    if (id) {
      tokenizer->special_[static_cast<std::size_t>(*id)] = true;
    }
  }
  tokenizer->added_ = std::move(added);
  return tokenizer;
}

core::Result<std::vector<TokenId>> SentencePieceTokenizer::encode(std::string_view text,
                                                                  bool add_special_tokens) const {
  const std::size_t valid = utf8_valid_prefix_length(text);
  if (valid != text.size()) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "text is not valid UTF-8 (at byte " + std::to_string(valid) + ")");
  }
  std::vector<TokenId> ids;
  if (add_special_tokens) {
    ids.insert(ids.end(), specials().prefix.begin(), specials().prefix.end());
  }
  std::vector<int> piece_ids;
  // SentencePiece applies its own normalizer; added tokens are all matched in the raw text.
  for (const AddedVocabulary::Segment& segment : added_.split(text, false)) {
    if (segment.id) {
      ids.push_back(*segment.id);
      continue;
    }
    if (segment.text.empty()) {
      continue;
    }
    const sentencepiece::util::Status status = processor_->Encode(segment.text, &piece_ids);
    if (!status.ok()) {
      return core::Status(core::StatusCode::kInternal,
                          "SentencePiece could not encode the text: " + status.ToString());
    }
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  if (add_special_tokens) {
    ids.insert(ids.end(), specials().suffix.begin(), specials().suffix.end());
  }
  return ids;
}

core::Result<std::string> SentencePieceTokenizer::decode_bytes(std::span<const TokenId> ids,
                                                               bool skip_special_tokens) const {
  std::string text;
  for (const TokenId id : ids) {
    DISAGGD_RETURN_IF_ERROR(check_id(id));
    const auto index = static_cast<std::size_t>(id);
    if (skip_special_tokens && special_[index]) {
      continue;
    }
    if (const AddedToken* added = added_.find(id); added != nullptr && index >= model_size_) {
      text += added->content;
    } else if (index < model_size_) {
      text += pieces_[index];
    } else {
      return core::Status(core::StatusCode::kInvalidArgument,
                          "token id " + std::to_string(id) + " has no token in the vocabulary");
    }
  }
  // The dummy prefix SentencePiece put before the text comes back as a leading space.
  if (normalizer_.add_dummy_prefix && text.starts_with(' ')) {
    text.erase(0, 1);
  }
  return text;
}

std::optional<std::string> SentencePieceTokenizer::token_to_piece(TokenId id) const {
  if (id < 0) {
    return std::nullopt;
  }
  if (static_cast<std::size_t>(id) < model_size_) {
    return processor_->IdToPiece(id);
  }
  if (const AddedToken* added = added_.find(id)) {
    return added->content;
  }
  return std::nullopt;
}

std::optional<TokenId> SentencePieceTokenizer::piece_to_id(std::string_view piece) const {
  if (const auto id = added_.find(piece)) {
    return id;
  }
  const std::string text(piece);
  const int id = processor_->PieceToId(text);
  if (id < 0 || static_cast<std::size_t>(id) >= model_size_ || processor_->IdToPiece(id) != text) {
    return std::nullopt;
  }
  return id;
}

bool SentencePieceTokenizer::is_special(TokenId id) const {
  return id >= 0 && static_cast<std::size_t>(id) < special_.size() &&
         special_[static_cast<std::size_t>(id)];
}

std::string SentencePieceTokenizer::description() const {
  return "tokenizer.model SentencePiece (" + std::to_string(vocab_size_) + " tokens, normalizer " +
         (normalizer_.name.empty() ? std::string("?") : normalizer_.name) + ") from " + source_;
}

}  // namespace disaggd::engine
