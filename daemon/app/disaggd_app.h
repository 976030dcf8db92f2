// DisaggdApp: the disaggd executable on Poco's ServerApplication. Parses the command line
// (every config key has a flag), loads and checks the config, and runs the configured role.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include "core/config/config_loader.h"
#include "core/plugins/plugin_library.h"

namespace disaggd::app {

class DisaggdApp : public Poco::Util::ServerApplication {
 public:
  /// Parses `argv` and runs. Unlike ServerApplication::run(argc, argv) it reports a bad command
  /// line as a usage error (exit 64) in disaggd's words, and it does not offer --daemon: under
  /// systemd, or in a terminal, disaggd stays in the foreground.
  int run_command_line(int argc, char** argv);

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

 private:
  void print_help() const;
  /// Loads the config for `command`; prints problems and returns false when there are errors.
  bool load(const std::string& command, core::LoadedConfig* loaded);
  int list_plugins(const core::Config& config);
  int check(const core::Config& config, const std::string& source);
  int run_role(const core::Config& config);
  /// The node roles (hybrid, prefill, decode): a NodeServer until a termination signal.
  int run_node(const core::Config& config, std::shared_ptr<core::PluginLibrary> model_backend,
               std::shared_ptr<core::PluginLibrary> migration);
  /// Starts `server`, reports READY=1 to systemd, waits for SIGTERM/SIGINT, reports STOPPING=1
  /// and stops it. Server: start() -> core::Status, stop().
  template <typename Server>
  int serve_until_terminated(Server& server);

  bool help_ = false;
  bool version_ = false;
  bool check_ = false;
  bool print_config_ = false;
  std::string config_file_;
  std::vector<core::ConfigOverride> overrides_;
  std::string usage_error_;
};

}  // namespace disaggd::app
