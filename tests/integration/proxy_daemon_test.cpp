// The proxy role as a real daemon on loopback: health, errors, the admin endpoint's bearer token,
// a port already in use, and clean shutdown on SIGTERM and SIGINT.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include <Poco/Net/ServerSocket.h>

#include "integration/support/daemons.h"
#include "integration/support/http_client.h"
#include "integration/support/notify_listener.h"

namespace disaggd::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ProxyDaemonTest, ServesHealthAndStopsCleanlyOnSigterm) {
  ProxyDaemon daemon;
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  const HttpReply health = http_get(daemon.port(), "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr("\"role\":\"proxy\""));
  EXPECT_THAT(health.body, HasSubstr("\"serving_strategy\":\"DistServe\""));

  daemon.process().send_signal(SIGTERM);
  EXPECT_EQ(daemon.process().wait_exit(seconds(10)), 0);
  EXPECT_THAT(daemon.process().output(), HasSubstr("termination requested"));
  EXPECT_THAT(daemon.process().output(), HasSubstr("stopped"));
}

// systemd's Type=notify: READY=1 once the proxy serves, STOPPING=1 on SIGTERM.
TEST(ProxyDaemonTest, TellsTheServiceManagerWhenReadyAndWhenStopping) {
  NotifyListener listener(unique_notify_socket_name("proxy"));
  ASSERT_TRUE(listener.bound());
  ProxyDaemon daemon({}, {{"NOTIFY_SOCKET", listener.name()}});
  const std::optional<std::string> ready = listener.receive(std::chrono::seconds(60));
  ASSERT_EQ(ready, "READY=1") << daemon.process().output();
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  EXPECT_EQ(http_get(daemon.port(), "/health").status, 200);

  daemon.process().send_signal(SIGTERM);
  EXPECT_EQ(listener.receive(std::chrono::seconds(10)), "STOPPING=1");
  EXPECT_EQ(daemon.process().wait_exit(seconds(10)), 0);
}

TEST(ProxyDaemonTest, NodesRegisterInEitherFormAndLeave) {
  ProxyDaemon daemon;
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  const int port = daemon.port();
  // LMDeploy's api_server body, and disaggd's own.
  HttpReply added =
      http_call(port, "POST", "/nodes/add",
                R"({"url": "http://127.0.0.1:9101/", "status": {"models": ["m"], "role": 1}})");
  EXPECT_EQ(added.status, 200) << added.body;
  EXPECT_THAT(added.body, HasSubstr("\"result\":\"added\""));
  added = http_call(port, "POST", "/nodes/add",
                    R"({"url": "http://127.0.0.1:9102", "role": "prefill", "epoch": 3})");
  EXPECT_EQ(added.status, 200) << added.body;
  const HttpReply stale =
      http_call(port, "POST", "/nodes/add", R"({"url": "http://127.0.0.1:9102", "epoch": 2})");
  EXPECT_EQ(stale.status, 409);
  EXPECT_THAT(stale.body, HasSubstr("older than the registered epoch 3"));
  const HttpReply bad = http_call(port, "POST", "/nodes/add", R"({"url": "tcp://x"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("'url'"));

  HttpReply status = http_get(port, "/nodes/status");
  EXPECT_EQ(status.status, 200);
  EXPECT_THAT(status.body, HasSubstr("\"http://127.0.0.1:9101\":{"));
  EXPECT_THAT(status.body, HasSubstr("\"role\":\"prefill\""));

  EXPECT_EQ(http_call(port, "POST", "/nodes/remove", R"({"url": "http://127.0.0.1:9101"})").status,
            200);
  EXPECT_EQ(http_call(port, "POST", "/nodes/remove", R"({"url": "http://127.0.0.1:9101"})").status,
            404);
  status = http_get(port, "/nodes/status");
  EXPECT_THAT(status.body, ::testing::Not(HasSubstr("9101")));
  EXPECT_THAT(status.body, HasSubstr("9102"));
}

TEST(ProxyDaemonTest, StopsCleanlyOnSigintWhileServing) {
  ProxyDaemon daemon;
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  EXPECT_EQ(http_get(daemon.port(), "/health").status, 200);
  daemon.process().send_signal(SIGINT);
  EXPECT_EQ(daemon.process().wait_exit(seconds(10)), 0);
}

TEST(ProxyDaemonTest, UnknownPathGetsAnOpenAiErrorAndTheRequestIdIsEchoed) {
  ProxyDaemon daemon;
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  const HttpReply reply = http_get(daemon.port(), "/v2/nothing", "", "client-id-1");
  EXPECT_EQ(reply.status, 404);
  EXPECT_THAT(reply.body, HasSubstr("{\"error\":{"));
  EXPECT_THAT(reply.body, HasSubstr("\"type\":\"not_found_error\""));
  EXPECT_EQ(reply.request_id, "client-id-1");
  // The daemon keeps serving after a bad request.
  const HttpReply health = http_get(daemon.port(), "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.request_id.size(), 16u);  // generated when the client sends none
}

TEST(ProxyDaemonTest, AdminEndpointRequiresTheBearerToken) {
  ProxyDaemon daemon({"--set", "proxy.admin.token={env: DISAGGD_TEST_ADMIN_TOKEN}",
                      "--routing-strategy", "min_observed_latency", "--routing-option", "window=4"},
                     {{"DISAGGD_TEST_ADMIN_TOKEN", "t0ken"}});
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  ASSERT_NE(daemon.admin_port(), 0) << daemon.process().output();
  EXPECT_NE(daemon.admin_port(), daemon.port());

  const HttpReply anonymous = http_get(daemon.admin_port(), "/admin/routing");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.body, HasSubstr("\"type\":\"authentication_error\""));
  EXPECT_EQ(http_get(daemon.admin_port(), "/admin/routing", "Bearer t0keN").status, 401);
  EXPECT_EQ(http_get(daemon.admin_port(), "/admin/routing", "t0ken").status, 401);

  const HttpReply ok = http_get(daemon.admin_port(), "/admin/routing", "Bearer t0ken");
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, HasSubstr("\"strategy\":\"min_observed_latency\""));
  EXPECT_THAT(ok.body, HasSubstr("\"options\":{\"window\":4}"));
  // The admin routes live on the admin listener only.
  EXPECT_EQ(http_get(daemon.port(), "/admin/routing", "Bearer t0ken").status, 404);
  EXPECT_THAT(daemon.process().output(), ::testing::Not(HasSubstr("t0ken")));
}

TEST(ProxyDaemonTest, AdminListenerStaysClosedWithoutAToken) {
  ProxyDaemon daemon;
  ASSERT_TRUE(daemon.wait_ready()) << daemon.process().output();
  EXPECT_EQ(daemon.admin_port(), 0);
  EXPECT_THAT(daemon.process().output(), HasSubstr("admin listener not opened"));
}

TEST(ProxyDaemonTest, PortInUseIsAClearErrorNotACrash) {
  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string port = std::to_string(taken.address().port());
  BackgroundProcess process({disaggd_binary(), "-c", source_path("configs/proxy.yaml"),
                             "--server-name", "127.0.0.1", "--server-port", port},
                            {{"DISAGGD_PLUGIN_PATH", std::nullopt}});
  EXPECT_EQ(process.wait_exit(seconds(20)), 69);
  EXPECT_THAT(process.output(), HasSubstr("cannot listen on 127.0.0.1:" + port));
}

// Under systemd, stderr is the journal stream ($JOURNAL_STREAM names it): every line starts with
// its syslog priority and carries no timestamp of its own. A shell stands in for systemd here.
TEST(ProxyDaemonTest, LinesToTheJournalCarryTheirSyslogPriority) {
  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string port = std::to_string(taken.address().port());
  const CommandResult journal = run_command(
      {"/bin/sh", "-c", "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec \"$@\"",
       "sh", disaggd_binary(), "-c", source_path("configs/proxy.yaml"), "--server-name",
       "127.0.0.1", "--server-port", port},
      {{"DISAGGD_PLUGIN_PATH", std::nullopt}});
  EXPECT_EQ(journal.exit_code, 69) << journal.err;
  EXPECT_THAT(journal.err, HasSubstr("<6>info  disaggd "));
  EXPECT_THAT(journal.err,
              HasSubstr("<3>error proxy listener: cannot listen on 127.0.0.1:" + port));
  EXPECT_THAT(journal.err, Not(HasSubstr("[disaggd]")));

  // Stderr that is not the stream named (a redirect) gets the plain format.
  const CommandResult redirected =
      run_disaggd({"-c", source_path("configs/proxy.yaml"), "--server-name", "127.0.0.1",
                   "--server-port", port},
                  {{"DISAGGD_PLUGIN_PATH", std::nullopt}, {"JOURNAL_STREAM", "1:1"}});
  EXPECT_EQ(redirected.exit_code, 69);
  EXPECT_THAT(redirected.err, HasSubstr("error [disaggd] proxy listener: cannot listen on"));
  EXPECT_THAT(redirected.err, Not(HasSubstr("<3>")));
}

}  // namespace
}  // namespace disaggd::testing
