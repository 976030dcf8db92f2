// Real disaggd daemons and response readers for integration tests.
#include "integration/support/daemons.h"

#include <algorithm>
#include <fstream>
#include <thread>

namespace disaggd::testing {

using nlohmann::json;
using std::chrono::seconds;

std::vector<ReferenceCase> reference_cases() {
  std::ifstream in(source_path("tests/fixtures/models/stories260K/reference.json"));
  const json doc = json::parse(in);
  std::vector<ReferenceCase> cases;
  for (const auto& c : doc["cases"]) {
    cases.push_back({c["prompt"], c["prompt_ids"], c["generated_ids"], c["completion_text"]});
  }
  return cases;
}

json reference_completion(const ReferenceCase& c) {
  return {{"model", "stories260K"},
          {"prompt", c.prompt},
          {"max_tokens", c.generated_ids.size()},
          {"temperature", 0}};
}

NodeDaemon::NodeDaemon(std::vector<std::string> extra, std::string role) : role_(std::move(role)) {
  std::vector<std::string> argv = {disaggd_binary(),
                                   "-c",
                                   source_path("configs/" + role_ + ".yaml"),
                                   "--server-name",
                                   "127.0.0.1",
                                   "--server-port",
                                   "0"};
  if (role_ != "hybrid") {
    // The shipped configs name the local proxy and fixed ports: tests choose their own.
    argv.insert(argv.end(), {"--migration-option", "port=0"});
    if (std::find(extra.begin(), extra.end(), "--proxy-url") == extra.end()) {
      argv.insert(argv.end(), {"--proxy-url", ""});
    }
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ =
      std::make_unique<BackgroundProcess>(argv, Environment{{"DISAGGD_PLUGIN_PATH", std::nullopt}});
}

bool NodeDaemon::wait_ready() {
  return process_->wait_for_output("serving model", seconds(60));
}

int NodeDaemon::port() const {
  return listener_port(process_->output(), role_);
}

std::string NodeDaemon::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

ProxyDaemon::ProxyDaemon(std::vector<std::string> extra, Environment env) {
  std::vector<std::string> argv = {disaggd_binary(),
                                   "-c",
                                   source_path("configs/proxy.yaml"),
                                   "--server-name",
                                   "127.0.0.1",
                                   "--server-port",
                                   "0",
                                   "--proxy-admin-port",
                                   "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  env.emplace("DISAGGD_PLUGIN_PATH", std::nullopt);
  process_ = std::make_unique<BackgroundProcess>(argv, env);
}

bool ProxyDaemon::wait_ready() {
  return process_->wait_for_output("proxy ready", seconds(20));
}

int ProxyDaemon::port() const {
  return listener_port(process_->output(), "proxy");
}

int ProxyDaemon::admin_port() const {
  return listener_port(process_->output(), "admin");
}

std::string ProxyDaemon::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<json> sse_events(const std::string& body) {
  std::vector<json> events;
  std::size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    const std::size_t end = body.find("\n\n", at);
    const std::string data = body.substr(at + 6, end - at - 6);
    events.push_back(data == "[DONE]" ? json("[DONE]") : json::parse(data));
    at = end;
  }
  return events;
}

std::string streamed_text(const std::vector<json>& events) {
  std::string text;
  for (const json& e : events) {
    if (!e.is_object() || !e.contains("choices") || e["choices"].empty()) {
      continue;
    }
    const json& choice = e["choices"][0];
    if (choice.contains("text")) {
      text += choice["text"].get<std::string>();
    } else if (choice["delta"].contains("content")) {
      text += choice["delta"]["content"].get<std::string>();
    }
  }
  return text;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) {
      return condition();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace disaggd::testing
