// Real disaggd daemons for integration tests (a hybrid node, a proxy), the stories260K reference
// outputs, and readers for SSE bodies.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/support/disaggd_binary.h"
#include "integration/support/process.h"

namespace disaggd::testing {

/// One case of tests/fixtures/models/stories260K/reference.json (greedy outputs of an independent
/// implementation).
struct ReferenceCase {
  std::string prompt;
  std::vector<int> prompt_ids;
  std::vector<int> generated_ids;
  std::string completion_text;
};

std::vector<ReferenceCase> reference_cases();

/// A greedy /v1/completions body for `c` that asks for exactly the reference's tokens.
nlohmann::json reference_completion(const ReferenceCase& c);

/// A node started from configs/<role>.yaml (stories260K, torch backend) on an ephemeral loopback
/// port (its migration listener too), plus `extra` arguments. Killed by the destructor if still
/// running.
class NodeDaemon {
 public:
  explicit NodeDaemon(std::vector<std::string> extra = {}, std::string role = "hybrid");
  /// Waits for "serving model" in the log.
  bool wait_ready();
  int port() const;
  std::string url() const;
  BackgroundProcess& process() { return *process_; }

 private:
  std::string role_;
  std::unique_ptr<BackgroundProcess> process_;
};

/// A proxy started from configs/proxy.yaml on ephemeral loopback ports (client and admin), plus
/// `extra` arguments and `env`. DISAGGD_PLUGIN_PATH is removed unless `env` sets it.
class ProxyDaemon {
 public:
  explicit ProxyDaemon(std::vector<std::string> extra = {}, Environment env = {});
  /// Waits for "proxy ready" in the log.
  bool wait_ready();
  int port() const;
  int admin_port() const;
  std::string url() const;
  BackgroundProcess& process() { return *process_; }

 private:
  std::unique_ptr<BackgroundProcess> process_;
};

/// The data events of an SSE body; "[DONE]" becomes the JSON string "[DONE]".
std::vector<nlohmann::json> sse_events(const std::string& body);

/// The concatenated text of a streamed completion or chat completion.
std::string streamed_text(const std::vector<nlohmann::json>& events);

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace disaggd::testing
