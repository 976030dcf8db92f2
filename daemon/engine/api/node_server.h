// NodeServer: a node that runs a model — its model folder, tokenizer, chat template, model
// backend instance, engine and OpenAI listener, set up from the config.
#pragma once

#include <chrono>
#include <memory>

#include "core/config/config.h"
#include "core/metrics/metrics.h"
#include "core/plugins/model_backend.h"
#include "core/plugins/plugin_library.h"
#include "core/status.h"
#include "engine/api/pd_node.h"
#include "engine/api/proxy_registration.h"
#include "engine/api/served_model.h"
#include "engine/model/model_folder.h"
#include "engine/serving/engine.h"
#include "engine/tokenizer/tokenizer.h"
#include "http/http_server.h"

namespace disaggd::engine {

/// A hybrid, prefill or decode node. Not thread-safe: start and stop from one thread; requests
/// are served on the listener's threads.
class NodeServer {
 public:
  /// Loads everything `config` names (logging progress): fails with a message naming the file or
  /// option at fault. `backend_library` is the loaded model plugin.
  /// `migration_library` is the loaded migration plugin (prefill and decode roles; null for
  /// hybrid).
  static core::Result<std::unique_ptr<NodeServer>> create(
      const core::Config& config, std::shared_ptr<core::PluginLibrary> backend_library,
      std::shared_ptr<core::PluginLibrary> migration_library = nullptr);
  ~NodeServer();

  /// Starts the engine and opens the listener.
  core::Status start();
  /// Leaves the proxy, drains the listener (requests in flight finish, new ones get 503, up to
  /// server.drain_timeout_ms; a prefill node also waits for its kept caches to be released),
  /// then closes it, ends every generation left and stops the engine. Idempotent.
  void stop();

  int port() const { return http_ ? http_->port() : 0; }

 private:
  NodeServer() = default;

  core::MetricsRegistry metrics_;
  std::unique_ptr<ModelFolder> folder_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<core::ModelBackend> backend_;
  std::unique_ptr<PdNode> pd_;  ///< Prefill and decode roles.
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<ServedModel> served_;
  std::unique_ptr<http::HttpServer> http_;
  std::string proxy_url_;                            ///< node.proxy_url
  std::string advertise_url_;                        ///< node.advertise_url
  std::string server_name_;                          ///< server.name
  std::string role_;                                 ///< "hybrid", "prefill", "decode"
  http::HeaderList cluster_headers_;                 ///< server.cluster_token, when set
  std::unique_ptr<ProxyRegistration> registration_;  ///< While started with a proxy_url.

  /// Prefill: waits until decode nodes have released every kept cache, or `timeout` passed.
  void wait_for_kept_caches(std::chrono::milliseconds timeout);
};

}  // namespace disaggd::engine
