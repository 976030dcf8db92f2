// Cache handles and engine descriptions of prefill and decode nodes.
#include "engine/api/pd_node.h"

namespace disaggd::engine {
namespace {

core::Status bad_handle(const std::string& field, const std::string& what) {
  return core::Status(core::StatusCode::kInvalidArgument,
                      "disaggd_pd.cache_handle." + field + " " + what);
}

}  // namespace

nlohmann::json kv_layout_json(const disaggd_kv_layout& layout) {
  return {{"num_layers", layout.num_layers}, {"num_kv_heads", layout.num_kv_heads},
          {"head_dim", layout.head_dim},     {"block_size", layout.block_size},
          {"dtype", layout.dtype},           {"bytes_per_block", layout.bytes_per_block}};
}

PdNode::PdNode(core::Role role, std::shared_ptr<KvMigration> migration,
               const disaggd_kv_layout& layout, http::HeaderList cluster_headers)
    : role_(role),
      migration_(std::move(migration)),
      layout_(kv_layout_json(layout)),
      epoch_(nlohmann::json::parse(migration_->endpoint(), nullptr, false).value("epoch", "")),
      releaser_(role == core::Role::kDecode
                    ? std::make_shared<HandleReleaser>(std::move(cluster_headers))
                    : nullptr) {}

void PdNode::set_url(std::string url) {
  std::lock_guard lock(mutex_);
  url_ = std::move(url);
}

std::string PdNode::url() const {
  std::lock_guard lock(mutex_);
  return url_;
}

nlohmann::json PdNode::engine_info() const {
  return {{"engine_id", url()},
          {"epoch", epoch_},
          {"role", std::string(core::role_name(role_))},
          {"kv_layout", layout_},
          {"migration_endpoint", migration_endpoint()}};
}

nlohmann::json PdNode::handle_json(const KeptCache& kept) const {
  return {{"engine_id", url()},
          {"epoch", epoch_},
          {"handle_id", kept.handle_id},
          {"block_ids", kept.blocks},
          {"num_tokens", kept.num_tokens},
          {"first_token", kept.first_token},
          {"first_logprob", kept.first_logprob},
          {"kv_layout", layout_},
          {"migration_endpoint", migration_endpoint()}};
}

core::Result<KvImport> PdNode::import_from(const nlohmann::json& handle) {
  auto text = [&](const char* field) -> const nlohmann::json* {
    const auto it = handle.find(field);
    return it != handle.end() && it->is_string() && !it->get_ref<const std::string&>().empty()
               ? &*it
               : nullptr;
  };
  const nlohmann::json* engine_id = text("engine_id");
  const nlohmann::json* handle_id = text("handle_id");
  const nlohmann::json* endpoint = text("migration_endpoint");
  if (engine_id == nullptr || handle_id == nullptr || endpoint == nullptr) {
    return bad_handle(engine_id == nullptr   ? "engine_id"
                      : handle_id == nullptr ? "handle_id"
                                             : "migration_endpoint",
                      "must be a non-empty string");
  }
  // The handle's epoch is its migration endpoint's: a handle edited in one place only is forged.
  const nlohmann::json source = nlohmann::json::parse(endpoint->get<std::string>(), nullptr, false);
  const auto epoch = handle.find("epoch");
  if (!source.is_object() || epoch == handle.end() || !epoch->is_string() ||
      source.value("epoch", "") != epoch->get<std::string>()) {
    return bad_handle("epoch", "does not match the epoch of the handle's migration endpoint");
  }
  const auto layout = handle.find("kv_layout");
  if (layout == handle.end() || *layout != layout_) {
    return bad_handle("kv_layout", "differs from this node's KV layout " + layout_.dump() +
                                       "; pair prefill and decode nodes of the same model, "
                                       "dtype and block size");
  }
  KvImport import;
  const auto blocks = handle.find("block_ids");
  if (blocks == handle.end() || !blocks->is_array() || blocks->empty()) {
    return bad_handle("block_ids", "must be a non-empty list of block ids");
  }
  for (const nlohmann::json& block : *blocks) {
    if (!block.is_number_integer() || block.get<int64_t>() < 0 ||
        block.get<int64_t>() > INT32_MAX) {
      return bad_handle("block_ids", "must be a list of block ids (non-negative integers)");
    }
    import.remote_blocks.push_back(block.get<int32_t>());
  }
  const auto num_tokens = handle.find("num_tokens");
  const auto first_token = handle.find("first_token");
  const auto first_logprob = handle.find("first_logprob");
  if (num_tokens == handle.end() || !num_tokens->is_number_unsigned() ||
      num_tokens->get<uint64_t>() > UINT32_MAX) {
    return bad_handle("num_tokens", "must be a non-negative integer");
  }
  if (first_token == handle.end() || !first_token->is_number_integer()) {
    return bad_handle("first_token", "must be a token id");
  }
  if (first_logprob != handle.end() && !first_logprob->is_number()) {
    return bad_handle("first_logprob", "must be a number");
  }
  import.source = endpoint->get<std::string>();
  import.num_tokens = num_tokens->get<uint32_t>();
  const int64_t first = first_token->get<int64_t>();
  import.first_token = first< INT32_MIN || first > INT32_MAX ? -1 : static_cast<int32_t>(first);
  import.first_logprob = first_logprob != handle.end() ? first_logprob->get<float>() : 0.0f;
  import.puller = migration_;
  import.on_settled =
      [
        releaser = releaser_, url = engine_id->get<std::string>(),
        id = handle_id->get<std::string>()
      ] {
        if (releaser) {
          releaser->release(url, id);
}
};  // namespace disaggd::engine
return import;
}

}  // namespace disaggd::engine
