// The journal stream detection ($JOURNAL_STREAM against stderr's device and inode) and the
// level -> syslog priority mapping journald reads from "<N>" prefixes.
#include "core/logging/journal_stream.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace disaggd::core {
namespace {

std::string device_and_inode(int fd) {
  struct stat status {};
  EXPECT_EQ(::fstat(fd, &status), 0);
  return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

class JournalStreamTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("JOURNAL_STREAM"); }
};

TEST_F(JournalStreamTest, StderrNamedByJournalStreamIsTheJournal) {
  ::setenv("JOURNAL_STREAM", device_and_inode(2).c_str(), 1);
  EXPECT_TRUE(stderr_is_journal_stream());
}

TEST_F(JournalStreamTest, UnsetMalformedOrAnotherFileIsNot) {
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal_stream());
  ::setenv("JOURNAL_STREAM", (device_and_inode(2) + "x").c_str(), 1);
  EXPECT_FALSE(stderr_is_journal_stream());
  ::setenv("JOURNAL_STREAM", "journal", 1);
  EXPECT_FALSE(stderr_is_journal_stream());
  struct stat root {};
  ASSERT_EQ(::stat("/", &root), 0);
  const std::string other = std::to_string(root.st_dev) + ":" + std::to_string(root.st_ino);
  ::setenv("JOURNAL_STREAM", other.c_str(), 1);
  EXPECT_FALSE(stderr_is_journal_stream());
}

TEST(SyslogPriorityTest, LevelsMapToJournaldPriorities) {
  EXPECT_EQ(syslog_priority(spdlog::level::trace), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
}

}  // namespace
}  // namespace disaggd::core
