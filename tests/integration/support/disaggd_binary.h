// Where the built disaggd and the repository live, for integration tests.
#pragma once

#include <string>
#include <vector>

#include "integration/support/process.h"

namespace disaggd::testing {

inline std::string disaggd_binary() {
  return std::string(DISAGGD_TEST_BINARY_DIR) + "/bin/disaggd";
}
inline std::string source_path(const std::string& relative) {
  return std::string(DISAGGD_TEST_SOURCE_DIR) + "/" + relative;
}

/// Runs disaggd with `args`, with DISAGGD_PLUGIN_PATH removed unless `env` sets it.
inline CommandResult run_disaggd(const std::vector<std::string>& args, Environment env = {}) {
  std::vector<std::string> argv = {disaggd_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("DISAGGD_PLUGIN_PATH", std::nullopt);
  return run_command(argv, env);
}

}  // namespace disaggd::testing
