// Runs real processes for integration tests: a command to completion with its output captured,
// or a long-running daemon whose log can be waited on and which is always stopped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace disaggd::testing {

/// What a finished command left behind.
struct CommandResult {
  int exit_code = -1;  ///< Exit status, or 128 + signal number if a signal ended it.
  std::string out;
  std::string err;
};

/// Extra environment for a child: variables to set (value) or remove (nullopt).
using Environment = std::map<std::string, std::optional<std::string>>;

/// Runs `argv` (argv[0] is a path) to completion, with stdin from /dev/null.
CommandResult run_command(const std::vector<std::string>& argv, const Environment& env = {});

/// A background process whose stderr is collected as it arrives. The destructor kills it (SIGKILL)
/// if it still runs, so a failing test never leaves a daemon behind.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const Environment& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  /// Waits until stderr contains `text`; returns false on timeout or if the process ended first.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  /// Everything written to stderr so far.
  std::string output() const;
  /// Sends `signal` to the process.
  void send_signal(int signal);
  /// Waits for the process to end and returns its exit code (as CommandResult::exit_code), or
  /// nullopt on timeout (the process keeps running). Once it returns a code, output() holds
  /// everything the process wrote.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

 private:
  void read_loop(int fd);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool eof_ = false;
  std::thread reader_;
};

/// Parses "... listener on HOST:PORT" from a daemon log for the listener named `name`; 0 if absent.
int listener_port(const std::string& log, const std::string& name);

}  // namespace disaggd::testing
