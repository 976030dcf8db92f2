// The disaggd executable.
#include "app/disaggd_app.h"

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <string_view>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <spdlog/spdlog.h>

#include "app/configured_plugins.h"
#include "app/plugin_listing.h"
#include "core/build_info.h"
#include "core/config/config_printer.h"
#include "core/config/config_reference.h"
#include "core/config/config_schema.h"
#include "core/logging/logging.h"
#include "core/plugins/plugin_host.h"
#include "core/service/service_notify.h"
#include "engine/api/node_server.h"
#include "proxy/proxy_server.h"

namespace disaggd::app {
namespace {

using Poco::Util::Option;

const char* const kPluginsCommand = "plugins";
const char* const kReferenceCommand = "config-reference";

void print_error(const std::string& message) {
  std::cerr << "disaggd: error: " << message << "\n";
}

// Blocks SIGINT, SIGTERM and SIGQUIT in this thread before any other thread starts, so every
// thread inherits the mask and waitForTerminationRequest()'s sigwait() receives the signal;
// otherwise a listener thread could take it and the default action would kill the process.
void block_termination_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// A node that could not start: 78 (EX_CONFIG) when the configuration names something wrong, which
// a restart cannot fix (systemd's unit does not restart on it); 69 (EX_UNAVAILABLE) when it may
// pass (out of memory, a port or device busy), so the service manager retries.
int exit_code_for_start_failure(core::StatusCode code) {
  switch (code) {
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kNotFound:
    case core::StatusCode::kAlreadyExists:
    case core::StatusCode::kUnsupported:
      return Poco::Util::Application::EXIT_CONFIG;
    default:
      return Poco::Util::Application::EXIT_UNAVAILABLE;
  }
}

// systemd (Type=notify) learns that the daemon serves, or is stopping; a failure is logged only.
void tell_service_manager(std::string_view state) {
  if (const core::Status sent = core::notify_service_manager(state); !sent.ok()) {
    spdlog::warn("{}", sent.message());
  }
}

Option value_option(const std::string& name, const std::string& help, bool repeatable) {
  return Option(name, "", help).required(false).repeatable(repeatable).argument("value");
}

}  // namespace

int DisaggdApp::run_command_line(int argc, char** argv) {
  try {
    init(argc, argv);
  } catch (const Poco::Util::OptionException& e) {
    print_error(e.displayText() + " (see disaggd --help)");
    return EXIT_USAGE;
  } catch (const Poco::Exception& e) {
    print_error(e.displayText());
    return EXIT_SOFTWARE;
  }
  return run();
}

void DisaggdApp::defineOptions(Poco::Util::OptionSet& options) {
  // Application's, not ServerApplication's: those add --daemon and friends, which only
  // ServerApplication::run(argc, argv) implements.
  Application::defineOptions(options);
  options.addOption(Option("help", "h", "Print this help and exit.").required(false));
  options.addOption(Option("version", "",
                           "Print the version, the plugin ABI version and the "
                           "build type, then exit.")
                        .required(false));
  options.addOption(Option("config", "c", "YAML config file.")
                        .required(false)
                        .repeatable(false)
                        .argument("file"));
  options.addOption(Option("check", "",
                           "Validate the config and load the plugins it names; "
                           "print every problem and exit non-zero on any.")
                        .required(false));
  options.addOption(Option("print-config", "",
                           "Print the effective config as YAML (secrets "
                           "masked) and exit.")
                        .required(false));
  options.addOption(value_option("set", "Set any config key: --set key.path=YAML-value.", true));
  for (const core::FieldSpec& field : core::config_fields()) {
    const bool repeatable =
        field.shape == core::FieldShape::kList || field.shape == core::FieldShape::kOptionMap;
    options.addOption(
        value_option(field.flag(), field.help + " (config key " + field.path + ")", repeatable));
    for (const std::string& alias : field.aliases) {
      options.addOption(value_option(alias, "Same as --" + field.flag() + ".", repeatable));
    }
  }
}

void DisaggdApp::handleOption(const std::string& name, const std::string& value) {
  Application::handleOption(name, value);
  if (name == "help") {
    help_ = true;
    stopOptionsProcessing();
  } else if (name == "version") {
    version_ = true;
  } else if (name == "config") {
    config_file_ = value;
  } else if (name == "check") {
    check_ = true;
  } else if (name == "print-config") {
    print_config_ = true;
  } else if (name == "set") {
    const std::size_t equals = value.find('=');
    if (equals == std::string::npos || equals == 0) {
      usage_error_ = "--set expects key.path=value, got '" + value + "'";
      return;
    }
    overrides_.push_back({value.substr(0, equals), "--set " + value.substr(0, equals),
                          value.substr(equals + 1), true});
  } else if (const core::FieldSpec* field = core::find_field_by_flag(name)) {
    overrides_.push_back({field->path, "--" + name, value, false});
  }
}

void DisaggdApp::print_help() const {
  Poco::Util::HelpFormatter formatter(options());
  formatter.setUnixStyle(true);
  formatter.setCommand("disaggd");
  formatter.setUsage("[-c FILE] [--check] [OPTIONS] [plugins | config-reference]");
  formatter.setHeader(
      "Serves large language models with prefill/decode disaggregation. Runs as proxy, prefill, "
      "decode or hybrid node as the config's role says; every config key can be set by its "
      "flag (see docs/configuration.md).");
  formatter.setFooter(
      "Commands:\n"
      "  plugins           list every plugin in the plugin directories, loading each one\n"
      "  config-reference  print the configuration reference (Markdown)\n"
      "Exit status: 0 ok, 64 usage error, 69 a listener cannot bind, 70 internal error,\n"
      "78 config or plugin problem.");
  formatter.format(std::cout);
}

bool DisaggdApp::load(const std::string& command, core::LoadedConfig* loaded) {
  std::vector<core::ConfigOverride> overrides = overrides_;
  const bool has_role = std::any_of(overrides.begin(), overrides.end(),
                                    [](const auto& o) { return o.path == "role"; });
  if (config_file_.empty() && !has_role) {
    if (command != kPluginsCommand) {
      print_error("no config given: start with -c FILE (for example -c /etc/disaggd/proxy.yaml)");
      return false;
    }
    // Listing plugins needs only the plugin directories; any role makes the config complete.
    overrides.insert(overrides.begin(), {"role", "(plugins command)", "proxy", false});
  }
  *loaded = core::load_config(config_file_, overrides);
  for (const core::ConfigIssue& warning : loaded->warnings) {
    std::cerr << "disaggd: warning: " << warning.to_string() << "\n";
  }
  for (const core::ConfigIssue& error : loaded->errors) {
    print_error(error.to_string());
  }
  return loaded->ok();
}

int DisaggdApp::main(const std::vector<std::string>& args) {
  if (help_) {
    print_help();
    return EXIT_OK;
  }
  if (version_) {
    std::cout << core::version_text() << "\n";
    return EXIT_OK;
  }
  const std::string command = args.empty() ? "" : args.front();
  if (args.size() > 1 ||
      (!command.empty() && command != kPluginsCommand && command != kReferenceCommand)) {
    usage_error_ = "unexpected argument '" + args.back() + "'; commands are " + kPluginsCommand +
                   " and " + kReferenceCommand;
  }
  if (!usage_error_.empty()) {
    print_error(usage_error_ + " (see disaggd --help)");
    return EXIT_USAGE;
  }
  if (command == kReferenceCommand) {
    std::cout << core::config_reference_markdown();
    return EXIT_OK;
  }

  core::LoadedConfig loaded;
  if (!load(command, &loaded)) {
    if (check_) {
      std::cerr << "disaggd: " << loaded.errors.size() << " problem(s) found\n";
    }
    return EXIT_CONFIG;
  }
  if (print_config_) {
    std::cout << core::config_to_yaml(loaded.config);
    return EXIT_OK;
  }
  core::init_logging(loaded.config.log.level);
  if (command == kPluginsCommand) {
    return list_plugins(loaded.config);
  }
  if (check_) {
    return check(loaded.config, config_file_.empty() ? "command line" : config_file_);
  }
  return run_role(loaded.config);
}

int DisaggdApp::list_plugins(const core::Config& config) {
  core::PluginHost host(plugin_dirs_for(config));
  const int failures = print_plugin_listing(host, std::cout);
  return failures == 0 ? EXIT_OK : EXIT_CONFIG;
}

int DisaggdApp::check(const core::Config& config, const std::string& source) {
  core::PluginHost host(plugin_dirs_for(config));
  std::vector<std::string> problems;
  const ConfiguredPlugins plugins = load_configured_plugins(config, host, &problems);
  for (const std::string& problem : problems) {
    print_error(problem);
  }
  if (!problems.empty()) {
    std::cerr << "disaggd: " << problems.size() << " problem(s) found\n";
    return EXIT_CONFIG;
  }
  std::cout << source << ": OK (role " << core::role_name(config.role);
  if (plugins.routing) {
    std::cout << ", routing strategy " << plugins.routing->info().name << " "
              << plugins.routing->info().version << " from "
              << plugins.routing->info().file.string();
  }
  for (const auto& library : {plugins.model_backend, plugins.migration}) {
    if (library) {
      std::cout << ", " << library->display_name() << " " << library->info().version;
    }
  }
  std::cout << ")\n";
  return EXIT_OK;
}

int DisaggdApp::run_role(const core::Config& config) {
  spdlog::info("{} starting as {}", core::version_text(), core::role_name(config.role));
  core::PluginHost host(plugin_dirs_for(config));
  const core::PluginCatalog catalog = host.catalog();
  for (const std::string& warning : catalog.warnings()) {
    spdlog::warn("{}", warning);
  }
  std::vector<std::string> problems;
  ConfiguredPlugins plugins = load_configured_plugins(config, host, &problems);
  for (const std::string& problem : problems) {
    spdlog::error("{}", problem);
  }
  if (!problems.empty()) {
    return EXIT_CONFIG;
  }
  if (core::is_node_role(config.role)) {
    return run_node(config, std::move(plugins.model_backend), std::move(plugins.migration));
  }
  block_termination_signals();
  proxy::ProxyServer server(config, host, std::move(plugins.routing));
  return serve_until_terminated(server);
}

int DisaggdApp::run_node(const core::Config& config,
                         std::shared_ptr<core::PluginLibrary> model_backend,
                         std::shared_ptr<core::PluginLibrary> migration) {
  auto node = engine::NodeServer::create(config, std::move(model_backend), std::move(migration));
  if (!node.ok()) {
    spdlog::error("{}", node.status().message());
    return exit_code_for_start_failure(node.status().code());
  }
  block_termination_signals();
  return serve_until_terminated(**node);
}

template <typename Server>
int DisaggdApp::serve_until_terminated(Server& server) {
  const core::Status started = server.start();
  if (!started.ok()) {
    spdlog::error("{}", started.message());
    return EXIT_UNAVAILABLE;
  }
  tell_service_manager("READY=1");
  waitForTerminationRequest();
  spdlog::info("termination requested; shutting down");
  tell_service_manager("STOPPING=1");
  server.stop();
  spdlog::info("stopped");
  return EXIT_OK;
}

}  // namespace disaggd::app
