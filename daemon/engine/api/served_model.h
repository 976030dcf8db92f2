// ServedModel: everything the OpenAI endpoints of a node need to serve one model.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/metrics/metrics.h"
#include "engine/api/pd_node.h"
#include "engine/chat/chat_template.h"
#include "engine/model/model_config.h"
#include "engine/serving/engine.h"
#include "engine/tokenizer/tokenizer.h"

namespace disaggd::engine {

/// Borrowed pointers: the node owns the objects and keeps them alive (and the engine running)
/// while its listener serves requests.
struct ServedModel {
  std::string name;  ///< What clients put in "model".
  const ModelConfig* config = nullptr;
  const Tokenizer* tokenizer = nullptr;
  std::optional<ChatTemplate> chat_template;  ///< None: chat completions are refused.
  Engine* engine = nullptr;
  core::MetricsRegistry* metrics = nullptr;
  std::size_t max_body_bytes = 8 << 20;
  /// Prefill and decode nodes: cache handles and KV migration; null on a hybrid node.
  PdNode* pd = nullptr;
  /// server.cluster_token: required on /distserve/* and on requests carrying disaggd_pd.
  std::string cluster_token;
};

}  // namespace disaggd::engine
