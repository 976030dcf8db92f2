// Loading the plugins a config names.
#include "app/configured_plugins.h"

#include <cstdlib>
#include <system_error>

namespace disaggd::app {
namespace {

std::filesystem::path executable_path() {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : path;
}

std::shared_ptr<core::PluginLibrary> load_or_report(core::PluginHost& host, core::PluginKind kind,
                                                    const std::string& name, const char* key,
                                                    std::vector<std::string>* problems) {
  auto library = host.load(kind, name);
  if (!library.ok()) {
    problems->push_back(std::string(key) + ": " + library.status().message());
    return nullptr;
  }
  return *library;
}

// Asks a fresh strategy to pick from a one-node table, so a strategy that fails or throws on the
// request path is refused at start-up rather than at the first request.
core::Status dry_run_select(core::RoutingStrategy& strategy) {
  const core::RoutingNodeStats node{
      "http://dry-run.invalid", core::NodeRole::kHybrid, 0, 1.0, {}, 0, 0};
  const core::RoutingRequestInfo request{"dry-run", "dry-run", core::NodeRole::kHybrid, 0};
  const auto chosen = strategy.select(request, std::span<const core::RoutingNodeStats>(&node, 1));
  return chosen.ok() ? core::Status() : chosen.status().with_context("dry-run select failed");
}

}  // namespace

std::vector<std::filesystem::path> plugin_dirs_for(const core::Config& config) {
  return core::plugin_search_dirs(config.plugins.dirs, std::getenv("DISAGGD_PLUGIN_PATH"),
                                  executable_path());
}

ConfiguredPlugins load_configured_plugins(const core::Config& config, core::PluginHost& host,
                                          std::vector<std::string>* problems) {
  ConfiguredPlugins plugins;
  if (config.role == core::Role::kProxy) {
    auto library = load_or_report(host, core::PluginKind::kRouting, config.proxy.routing_strategy,
                                  "proxy.routing_strategy", problems);
    if (library != nullptr) {
      auto strategy = core::RoutingStrategy::create(library, config.proxy.routing_options);
      if (!strategy.ok()) {
        problems->push_back("proxy.routing_options: " + strategy.status().message());
      } else if (const core::Status dry_run = dry_run_select(**strategy); !dry_run.ok()) {
        problems->push_back("proxy.routing_strategy: " + dry_run.message());
      } else {
        plugins.routing = std::move(*strategy);
      }
    }
    return plugins;
  }
  plugins.model_backend =
      load_or_report(host, core::PluginKind::kModel, config.node.backend, "node.backend", problems);
  if (config.role == core::Role::kPrefill || config.role == core::Role::kDecode) {
    plugins.migration =
        load_or_report(host, core::PluginKind::kMigration, config.node.migration_backend,
                       "node.migration_backend", problems);
  }
  return plugins;
}

}  // namespace disaggd::app
