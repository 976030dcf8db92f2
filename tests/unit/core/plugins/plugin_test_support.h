// Shared by the plugin host tests: where the fixture plugins are, scratch plugin directories, and
// a way to see whether the dynamic linker still has a library mapped.
#pragma once

#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "core/status.h"
#include "support/temp_dir.h"

namespace disaggd::core::test_support {

/// ${PROJECT_BINARY_DIR}/tests/fixtures: plugins/, dup_a/, dup_b/.
inline std::filesystem::path fixture_root() {
  return DISAGGD_TEST_FIXTURE_DIR;
}
inline std::filesystem::path fixture_plugin_dir() {
  return fixture_root() / "plugins";
}
/// The fixture library of one failure case, e.g. fixture_file("entry_null").
inline std::filesystem::path fixture_file(std::string_view case_name) {
  return fixture_plugin_dir() / ("libdisaggd_routing_" + std::string(case_name) + ".so");
}

/// "major.minor", as the host writes ABI versions in its messages.
inline std::string abi_text(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

/// True while the dynamic linker has `file` loaded. RTLD_NOLOAD never loads it; a handle it
/// returns holds a reference, so it is closed at once.
inline bool is_mapped(const std::filesystem::path& file) {
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) {
    return false;
  }
  dlclose(handle);
  return true;
}

/// Scratch directories (shared with the other tests).
using TempDir = disaggd::testing::TempDir;

/// Asserts a failed Status with `code` whose message names `file` and contains `reason`.
inline ::testing::AssertionResult failed_with(const Status& status, StatusCode code,
                                              const std::filesystem::path& file,
                                              std::string_view reason) {
  if (status.ok()) {
    return ::testing::AssertionFailure() << "expected a failure, got OK";
  }
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "expected code " << status_code_name(code) << ", got "
           << status_code_name(status.code()) << ": " << status.message();
  }
  if (status.message().find(file.string()) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message does not name " << file << ": " << status.message();
  }
  if (status.message().find(reason) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message lacks \"" << reason << "\": " << status.message();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace disaggd::core::test_support
