// The node table.
#include "proxy/node_registry.h"

#include <algorithm>

namespace disaggd::proxy {
namespace {

using core::Status;
using core::StatusCode;

Status invalid(const std::string& field, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, "'" + field + "' " + what);
}

}  // namespace

const char* node_role_name(core::NodeRole role) {
  switch (role) {
    case core::NodeRole::kPrefill:
      return "prefill";
    case core::NodeRole::kDecode:
      return "decode";
    case core::NodeRole::kHybrid:
      break;
  }
  return "hybrid";
}

core::Result<std::string> normalize_node_url(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return invalid("url", "must be an http:// or https:// URL, got '" + url + "'");
  }
  std::string normalized = url;
  while (normalized.size() > scheme_end + 3 && normalized.back() == '/') {
    normalized.pop_back();
  }
  const std::string authority = normalized.substr(scheme_end + 3);
  if (authority.empty() || authority.find('/') != std::string::npos ||
      authority.find_first_of(" \t\r\n") != std::string::npos) {
    return invalid("url", "must be scheme://host:port without a path, got '" + url + "'");
  }
  return normalized;
}

core::Result<NodeInfo> parse_node_registration(const nlohmann::json& body) {
  if (!body.is_object()) {
    return invalid("body", "must be a JSON object");
  }
  NodeInfo node;
  const auto url = body.find("url");
  if (url == body.end() || !url->is_string()) {
    return invalid("url", "is required and must be a string");
  }
  auto normalized = normalize_node_url(url->get<std::string>());
  if (!normalized.ok()) {
    return normalized.status();
  }
  node.url = *normalized;
  // LMDeploy's api_server sends {url, status: {models, role: 1|2|3, speed}}.
  const auto status = body.find("status");
  const nlohmann::json& fields = status != body.end() && status->is_object() ? *status : body;
  const std::string prefix = &fields == &body ? "" : "status.";
  if (const auto role = fields.find("role"); role != fields.end() && !role->is_null()) {
    if (role->is_string()) {
      const std::string name = role->get<std::string>();
      if (name == "hybrid" || name == "Hybrid") {
        node.role = core::NodeRole::kHybrid;
      } else if (name == "prefill" || name == "Prefill") {
        node.role = core::NodeRole::kPrefill;
      } else if (name == "decode" || name == "Decode") {
        node.role = core::NodeRole::kDecode;
      } else {
        return invalid(prefix + "role", "must be hybrid, prefill or decode, got '" + name + "'");
      }
    } else if (role->is_number_integer() && role->get<int64_t>() >= 1 &&
               role->get<int64_t>() <= 3) {
      // LMDeploy's EngineRole: 1 Hybrid, 2 Prefill, 3 Decode.
      static const core::NodeRole roles[] = {core::NodeRole::kHybrid, core::NodeRole::kPrefill,
                                             core::NodeRole::kDecode};
      node.role = roles[role->get<int64_t>() - 1];
    } else {
      return invalid(prefix + "role", "must be hybrid, prefill, decode (or LMDeploy's 1, 2, 3)");
    }
  }
  if (const auto models = fields.find("models"); models != fields.end() && !models->is_null()) {
    if (!models->is_array()) {
      return invalid(prefix + "models", "must be a list of model names");
    }
    for (const auto& model : *models) {
      if (!model.is_string() || model.get<std::string>().empty()) {
        return invalid(prefix + "models", "must be a list of model names");
      }
      node.models.push_back(model.get<std::string>());
    }
  }
  if (const auto speed = fields.find("speed"); speed != fields.end() && !speed->is_null()) {
    if (!speed->is_number() || speed->get<double>() < 0) {
      return invalid(prefix + "speed", "must be a number >= 0");
    }
    node.speed = speed->get<double>();
  }
  if (const auto epoch = body.find("epoch"); epoch != body.end() && !epoch->is_null()) {
    if (!epoch->is_number_unsigned() && !(epoch->is_number_integer() && *epoch >= 0)) {
      return invalid("epoch", "must be an integer >= 0");
    }
    node.epoch = epoch->get<uint64_t>();
  }
  node.migration_endpoint = body.value("migration_endpoint", nlohmann::json());
  node.kv_layout = body.value("kv_layout", nlohmann::json());
  return node;
}

NodeRegistry::NodeRegistry(NodeRegistryOptions options) : options_(options) {}

core::Result<std::string> NodeRegistry::add(NodeInfo node) {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(node.url);
  if (it == nodes_.end()) {
    Entry entry;
    entry.order = next_order_++;
    const std::string url = node.url;
    entry.info = std::move(node);
    nodes_.emplace(url, std::move(entry));
    return std::string("added");
  }
  Entry& entry = it->second;
  if (node.epoch < entry.info.epoch) {
    return Status(StatusCode::kFailedPrecondition,
                  "node " + node.url + " registered with epoch " + std::to_string(node.epoch) +
                      ", older than the registered epoch " + std::to_string(entry.info.epoch));
  }
  const bool restarted = node.epoch > entry.info.epoch;
  entry.info = std::move(node);
  entry.healthy = true;
  entry.consecutive_failures = 0;
  if (restarted) {  // a new process: nothing of the old one's statistics applies
    entry.in_flight = 0;
    entry.latencies_ms.clear();
    entry.completed = 0;
    entry.failed = 0;
    return std::string("replaced");
  }
  return std::string("updated");
}

bool NodeRegistry::remove(const std::string& url) {
  std::lock_guard lock(mutex_);
  return nodes_.erase(url) > 0;
}

core::RoutingNodeStats NodeRegistry::stats_of(const Entry& entry) const {
  core::RoutingNodeStats stats;
  stats.id = entry.info.url;
  stats.role = entry.info.role;
  stats.in_flight = entry.in_flight;
  stats.speed = entry.info.speed;
  stats.recent_latencies_ms.assign(entry.latencies_ms.begin(), entry.latencies_ms.end());
  stats.completed_requests = entry.completed;
  stats.failed_requests = entry.failed;
  return stats;
}

std::vector<core::RoutingNodeStats> NodeRegistry::candidates(
    core::NodeRole role, const std::string& model, const nlohmann::json& kv_layout) const {
  std::lock_guard lock(mutex_);
  std::vector<const Entry*> chosen;
  for (const auto& [url, entry] : nodes_) {
    const auto& models = entry.info.models;
    if (entry.healthy && entry.info.role == role &&
        (kv_layout.is_null() || entry.info.kv_layout == kv_layout) &&
        (models.empty() || std::find(models.begin(), models.end(), model) != models.end())) {
      chosen.push_back(&entry);
    }
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const Entry* a, const Entry* b) { return a->order < b->order; });
  std::vector<core::RoutingNodeStats> out;
  for (const Entry* entry : chosen) {
    out.push_back(stats_of(*entry));
  }
  return out;
}

std::vector<core::RoutingNodeStats> NodeRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<const Entry*> entries;
  for (const auto& [url, entry] : nodes_) {
    entries.push_back(&entry);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry* a, const Entry* b) { return a->order < b->order; });
  std::vector<core::RoutingNodeStats> out;
  for (const Entry* entry : entries) {
    out.push_back(stats_of(*entry));
  }
  return out;
}

void NodeRegistry::request_started(const std::string& url) {
  std::lock_guard lock(mutex_);
  if (auto it = nodes_.find(url); it != nodes_.end()) {
    ++it->second.in_flight;
  }
}

void NodeRegistry::record_failure(Entry& entry) {
  if (++entry.consecutive_failures >= options_.failures_to_leave) {
    entry.healthy = false;
  }
}

void NodeRegistry::request_finished(const std::string& url, double latency_ms, bool ok) {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(url);
  if (it == nodes_.end()) {
    return;
  }
  Entry& entry = it->second;
  if (entry.in_flight > 0) {
    --entry.in_flight;
  }
  if (ok) {
    ++entry.completed;
    entry.latencies_ms.push_back(latency_ms);
    while (entry.latencies_ms.size() > options_.latency_window) {
      entry.latencies_ms.pop_front();
    }
  } else {
    ++entry.failed;
    record_failure(entry);
  }
}

void NodeRegistry::health_checked(const std::string& url, bool ok) {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(url);
  if (it == nodes_.end()) {
    return;
  }
  if (ok) {
    it->second.consecutive_failures = 0;
    it->second.healthy = true;
  } else {
    record_failure(it->second);
  }
}

std::size_t NodeRegistry::count(bool healthy) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(nodes_.begin(), nodes_.end(),
                    [healthy](const auto& n) { return n.second.healthy == healthy; }));
}

std::vector<std::string> NodeRegistry::urls() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [url, entry] : nodes_) {
    out.push_back(url);
  }
  return out;
}

nlohmann::json NodeRegistry::status() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [url, entry] : nodes_) {
    out[url] = {{"role", node_role_name(entry.info.role)},
                {"models", entry.info.models},
                {"epoch", entry.info.epoch},
                {"speed", entry.info.speed},
                {"healthy", entry.healthy},
                {"consecutive_failures", entry.consecutive_failures},
                {"in_flight", entry.in_flight},
                {"completed", entry.completed},
                {"failed", entry.failed},
                {"recent_latencies_ms",
                 std::vector<double>(entry.latencies_ms.begin(), entry.latencies_ms.end())}};
  }
  return out;
}

}  // namespace disaggd::proxy
