// The OpenAI-compatible HTTP API of a node: GET /v1/models, POST /v1/completions,
// POST /v1/chat/completions, GET /health, GET /metrics.
#pragma once

#include <memory>

#include "engine/api/served_model.h"
#include "http/http_server.h"

namespace disaggd::engine {

/// Registers the routes on `server` (before it starts). `model` must stay valid while the server
/// runs; handlers run concurrently on the server's threads.
void add_openai_routes(http::HttpServer& server, std::shared_ptr<const ServedModel> model);

}  // namespace disaggd::engine
