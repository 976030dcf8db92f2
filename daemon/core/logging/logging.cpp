// Logging set-up.
#include "core/logging/logging.h"

#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "core/logging/journal_stream.h"

namespace disaggd::core {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

/// "%*": the "<N>" syslog priority prefix journald turns into the line's priority.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    const char prefix[] = {'<', static_cast<char>('0' + syslog_priority(message.level)), '>'};
    out.append(prefix, prefix + sizeof prefix);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

}  // namespace

void init_logging(LogLevel level) {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto created = spdlog::stderr_color_mt("disaggd");
    if (stderr_is_journal_stream()) {
      // Under systemd: journald adds the time and the unit's name itself.
      auto formatter = std::make_unique<spdlog::pattern_formatter>();
      formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%-5l %v");
      created->set_formatter(std::move(formatter));
    } else {
      created->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    }
    spdlog::set_default_logger(created);
    return created;
  }();
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::warn);
}

}  // namespace disaggd::core
