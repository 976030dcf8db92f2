// notify_service_manager(): systemd's datagram protocol on path and abstract sockets, and clear
// errors for a bad NOTIFY_SOCKET.
#include "core/service/service_notify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "integration/support/notify_listener.h"

namespace disaggd::core {
namespace {

using disaggd::testing::NotifyListener;
using disaggd::testing::unique_notify_socket_name;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

class ServiceNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("NOTIFY_SOCKET"); }
};

TEST_F(ServiceNotifyTest, WithoutNotifySocketNothingIsSentAndNothingFails) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notify_service_manager("READY=1").ok());
}

TEST_F(ServiceNotifyTest, AbstractSocketReceivesTheStateVerbatim) {
  NotifyListener listener(unique_notify_socket_name("abstract"));
  ASSERT_TRUE(listener.bound());
  ::setenv("NOTIFY_SOCKET", listener.name().c_str(), 1);
  ASSERT_TRUE(notify_service_manager("READY=1\nSTATUS=serving").ok());
  EXPECT_EQ(listener.receive(milliseconds(2000)), "READY=1\nSTATUS=serving");
}

TEST_F(ServiceNotifyTest, PathSocketReceivesTheState) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("disaggd-notify-" + std::to_string(::getpid()));
  NotifyListener listener(path.string());
  ASSERT_TRUE(listener.bound());
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ASSERT_TRUE(notify_service_manager("STOPPING=1").ok());
  EXPECT_EQ(listener.receive(milliseconds(2000)), "STOPPING=1");
}

TEST_F(ServiceNotifyTest, RelativeNameIsRefusedWithTheVariableNamed) {
  ::setenv("NOTIFY_SOCKET", "run/notify", 1);
  const Status sent = notify_service_manager("READY=1");
  EXPECT_EQ(sent.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(sent.message(), HasSubstr("NOTIFY_SOCKET run/notify"));
}

TEST_F(ServiceNotifyTest, SocketNobodyListensOnIsReportedNotIgnored) {
  ::setenv("NOTIFY_SOCKET", "/nonexistent/disaggd-notify", 1);
  const Status sent = notify_service_manager("READY=1");
  EXPECT_EQ(sent.code(), StatusCode::kUnavailable);
  EXPECT_THAT(sent.message(), HasSubstr("sendto"));
}

}  // namespace
}  // namespace disaggd::core
