// Setting a node up from its config.
#include "engine/api/node_server.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/api/openai_routes.h"
#include "engine/chat/chat_template_loader.h"
#include "engine/tokenizer/tokenizer_loader.h"

namespace disaggd::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// node.chat_template when set, else the model folder's own template (none is fine).
core::Result<std::optional<ChatTemplate>> chat_template_for(const core::NodeConfig& node) {
  if (node.chat_template.empty()) {
    return load_chat_template(node.model);
  }
  std::ifstream in(node.chat_template, std::ios::binary);
  if (!in) {
    return core::Status(core::StatusCode::kNotFound,
                        "node.chat_template: cannot read " + node.chat_template.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = ChatTemplate::parse(text.str());
  if (!parsed.ok()) {
    return parsed.status().with_context("node.chat_template " + node.chat_template.string());
  }
  return std::optional<ChatTemplate>(std::move(parsed).value());
}

}  // namespace

core::Result<std::unique_ptr<NodeServer>> NodeServer::create(
    const core::Config& config, std::shared_ptr<core::PluginLibrary> backend_library,
    std::shared_ptr<core::PluginLibrary> migration_library) {
  std::unique_ptr<NodeServer> node(new NodeServer());
  const core::NodeConfig& settings = config.node;
  node->cluster_headers_ = http::cluster_headers(config.server.cluster_token.value);

  auto start = Clock::now();
  spdlog::info("loading model {}", settings.model.string());
  auto folder = open_model_folder(settings.model);
  if (!folder.ok()) {
    return folder.status();
  }
  node->folder_ = std::make_unique<ModelFolder>(std::move(folder).value());
  const ModelConfig& model = node->folder_->config;

  auto tokenizer = load_tokenizer(settings.model);
  if (!tokenizer.ok()) {
    return tokenizer.status();
  }
  node->tokenizer_ = std::move(tokenizer).value();
  spdlog::info("tokenizer: {}", node->tokenizer_->description());

  auto chat_template = chat_template_for(settings);
  if (!chat_template.ok()) {
    return chat_template.status();
  }
  if (!*chat_template) {
    spdlog::warn(
        "the model has no chat template and node.chat_template is not set: "
        "/v1/chat/completions will refuse requests");
  }

  auto backend =
      core::ModelBackend::create(std::move(backend_library), model.to_json().dump(),
                                 node->folder_->weights.weight_source(), settings.backend_options);
  if (!backend.ok()) {
    return backend.status();
  }
  node->backend_ = std::move(backend).value();
  const disaggd_kv_layout& layout = node->backend_->kv_layout();
  spdlog::info("model ready in {:.1f} s: {} layers, KV cache {} blocks of {} tokens",
               seconds_since(start), layout.num_layers, layout.num_blocks, layout.block_size);

  if (config.role == core::Role::kPrefill || config.role == core::Role::kDecode) {
    if (!migration_library) {
      return core::Status(
          core::StatusCode::kFailedPrecondition,
          "a prefill or decode node needs a migration plugin (node.migration_backend)");
    }
    auto migration =
        core::MigrationBackend::create(std::move(migration_library), settings.migration_options);
    if (!migration.ok()) {
      return migration.status();
    }
    auto kv = KvMigration::create(std::move(migration).value(), *node->backend_,
                                  std::chrono::milliseconds(settings.migration_timeout_ms));
    if (!kv.ok()) {
      return kv.status();
    }
    node->pd_ = std::make_unique<PdNode>(config.role, std::move(kv).value(), layout,
                                         node->cluster_headers_);
    spdlog::info("KV migration through '{}': {}", settings.migration_backend,
                 node->pd_->migration_endpoint());
  }

  EngineConfig engine;
  engine.cache_ttl = std::chrono::milliseconds(settings.kept_cache_ttl_ms);
  engine.scheduler.max_batched_tokens = static_cast<uint32_t>(settings.max_batched_tokens);
  engine.scheduler.max_running = static_cast<uint32_t>(settings.max_running);
  engine.eos_token_ids = model.eos_token_ids;
  engine.vocab_size = static_cast<std::size_t>(model.vocab_size);
  engine.max_model_len = static_cast<uint32_t>(model.max_position_embeddings);
  node->engine_ =
      std::make_unique<Engine>(*node->backend_, *node->tokenizer_, engine, node->metrics_);

  auto served = std::make_shared<ServedModel>();
  served->name =
      settings.served_model_name.empty()
          ? std::filesystem::absolute(settings.model).lexically_normal().filename().string()
          : settings.served_model_name;
  if (served->name.empty()) {  // a path ending in '/'
    served->name =
        std::filesystem::absolute(settings.model).lexically_normal().parent_path().filename();
  }
  served->config = &node->folder_->config;
  served->tokenizer = node->tokenizer_.get();
  served->chat_template = std::move(*chat_template);
  served->engine = node->engine_.get();
  served->metrics = &node->metrics_;
  served->max_body_bytes = static_cast<std::size_t>(config.server.max_body_bytes);
  served->pd = node->pd_.get();
  served->cluster_token = config.server.cluster_token.value;
  node->served_ = served;

  node->proxy_url_ = settings.proxy_url;
  node->advertise_url_ = settings.advertise_url;
  node->server_name_ = config.server.name;
  node->role_ = std::string(core::role_name(config.role));
  node->http_ = std::make_unique<http::HttpServer>(
      http::client_listener_options(config.server, std::string(core::role_name(config.role))));
  add_openai_routes(*node->http_, served);
  // While a prefill node drains, decode nodes still pull its kept caches and release them.
  node->http_->serve_while_draining("/distserve/release");
  return node;
}

void NodeServer::wait_for_kept_caches(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t kept = engine_->stats().kept_caches;
  if (kept > 0) {
    spdlog::info("waiting up to {} ms for decode nodes to pull {} kept cache(s)", timeout.count(),
                 kept);
  }
  while (kept > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    kept = engine_->stats().kept_caches;
  }
  if (kept > 0) {
    spdlog::warn("{} kept cache(s) not pulled before the drain timeout: their decodes recompute",
                 kept);
  }
}

NodeServer::~NodeServer() {
  stop();
}

core::Status NodeServer::start() {
  engine_->start();
  const core::Status started = http_->start();
  if (!started.ok()) {
    engine_->stop();
    return started;
  }
  std::string url = advertise_url_;
  if (url.empty()) {
    const bool wildcard = server_name_ == "0.0.0.0" || server_name_ == "::" || server_name_.empty();
    url = "http://" + (wildcard ? std::string("127.0.0.1") : server_name_) + ":" +
          std::to_string(http_->port());
  }
  if (pd_) {
    pd_->set_url(url);
  }
  spdlog::info("serving model '{}' on port {}", served_->name, http_->port());
  if (!proxy_url_.empty()) {
    // The epoch: this process's start, so a restarted node replaces its old entry.
    const auto epoch = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    nlohmann::json registration = {
        {"url", url}, {"role", role_}, {"models", {served_->name}}, {"epoch", epoch}};
    if (pd_) {
      registration["kv_layout"] = pd_->kv_layout();
      registration["migration_endpoint"] = pd_->migration_endpoint();
    }
    registration_ =
        std::make_unique<ProxyRegistration>(proxy_url_, std::move(registration), cluster_headers_);
  }
  return {};
}

void NodeServer::stop() {
  registration_.reset();  // leave the proxy's table before the listener closes
  if (http_) {
    const std::chrono::milliseconds left = http_->drain();
    if (pd_ && pd_->prefill() && engine_) {
      wait_for_kept_caches(left);
    }
    http_->stop();
  }
  if (engine_) {
    engine_->stop();
  }
}

}  // namespace disaggd::engine
