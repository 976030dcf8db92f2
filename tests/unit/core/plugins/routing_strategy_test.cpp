// RoutingStrategy: creating instances of routing plugins, calling them through the C vtable, and
// containing plugins that fail or throw (raw C++ without the SDK, and SDK-based).
#include "core/plugins/routing_strategy.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "core/plugins/plugin_host.h"
#include "plugin_test_support.h"

namespace disaggd::core {
namespace {

using test_support::failed_with;
using test_support::fixture_file;
using test_support::fixture_plugin_dir;
using ::testing::HasSubstr;

class RoutingStrategyTest : public ::testing::Test {
 protected:
  std::shared_ptr<PluginLibrary> load(const char* name) {
    auto library = host_.load(PluginKind::kRouting, name);
    EXPECT_TRUE(library.ok()) << library.status().message();
    return library.ok() ? *library : nullptr;
  }

  std::unique_ptr<RoutingStrategy> create(const char* name, const PluginOptions& options = {}) {
    auto strategy = RoutingStrategy::create(load(name), options);
    EXPECT_TRUE(strategy.ok()) << strategy.status().message();
    return strategy.ok() ? std::move(*strategy) : nullptr;
  }

  Status create_status(const char* name, const PluginOptions& options = {}) {
    return RoutingStrategy::create(load(name), options).status();
  }

  static std::vector<RoutingNodeStats> nodes_with_in_flight(std::vector<uint32_t> in_flight) {
    std::vector<RoutingNodeStats> nodes;
    for (uint32_t count : in_flight) {
      RoutingNodeStats node;
      node.id = "http://node" + std::to_string(nodes.size()) + ":8000";
      node.in_flight = count;
      nodes.push_back(node);
    }
    return nodes;
  }

  PluginHost host_{{fixture_plugin_dir()}};
};

TEST_F(RoutingStrategyTest, CPluginPicksFewestInFlight) {
  auto strategy = create("minimal_c");
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(strategy->info().name, "minimal_c");
  auto chosen = strategy->select(RoutingRequestInfo{}, nodes_with_in_flight({3, 1, 2}));
  ASSERT_TRUE(chosen.ok()) << chosen.status().message();
  EXPECT_EQ(*chosen, 1u);
  chosen = strategy->select(RoutingRequestInfo{}, nodes_with_in_flight({5, 7, 0}));
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, 2u);
  EXPECT_TRUE(strategy->on_nodes_changed(nodes_with_in_flight({0, 0})).ok());
  EXPECT_TRUE(strategy->on_request_done("http://node0:8000", "req-1", 12.5, true).ok());
}

TEST_F(RoutingStrategyTest, TypedOptionsReachThePlugin) {
  auto strategy = create("minimal_c", {PluginOption::from_scalar("fixed_index", "2", false)});
  ASSERT_NE(strategy, nullptr);
  auto chosen = strategy->select(RoutingRequestInfo{}, nodes_with_in_flight({0, 0, 9}));
  ASSERT_TRUE(chosen.ok()) << chosen.status().message();
  EXPECT_EQ(*chosen, 2u);
}

TEST_F(RoutingStrategyTest, PluginRejectingAnOptionIsReportedWithPluginFileAndReason) {
  // Quoted, so a string: the C plugin wants an integer and says so.
  const Status quoted =
      create_status("minimal_c", {PluginOption::from_scalar("fixed_index", "2", true)});
  EXPECT_TRUE(failed_with(quoted, StatusCode::kInvalidArgument, fixture_file("minimal_c"),
                          "routing plugin 'minimal_c' (" + fixture_file("minimal_c").string() +
                              "): create: option 'fixed_index' must be an integer >= 0, got '2'"));
  const Status unknown =
      create_status("minimal_c", {PluginOption::from_scalar("fixd_index", "2", false)});
  EXPECT_TRUE(failed_with(unknown, StatusCode::kInvalidArgument, fixture_file("minimal_c"),
                          "unknown option 'fixd_index'; known options: fixed_index"));
}

TEST_F(RoutingStrategyTest, PluginErrorsFromWorkCallsCarryTheirMessage) {
  auto strategy = create("minimal_c", {PluginOption::from_scalar("fixed_index", "5", false)});
  ASSERT_NE(strategy, nullptr);
  const Status beyond = strategy->select(RoutingRequestInfo{}, nodes_with_in_flight({0})).status();
  EXPECT_TRUE(failed_with(beyond, StatusCode::kUnavailable, fixture_file("minimal_c"),
                          "select: fixed_index is beyond the candidate list"));
  const Status negative = strategy->on_request_done("http://node0:8000", "req-7", -1.0, true);
  EXPECT_TRUE(failed_with(negative, StatusCode::kInvalidArgument, fixture_file("minimal_c"),
                          "on_request_done: latency of request 'req-7' is negative"));
}

TEST_F(RoutingStrategyTest, NoCandidatesIsUnavailableWithoutCallingThePlugin) {
  // raw_throw's select always throws, so a kUnavailable proves the host answered itself.
  auto strategy = create("raw_throw");
  ASSERT_NE(strategy, nullptr);
  const Status status = strategy->select(RoutingRequestInfo{}, {}).status();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.message();
}

TEST_F(RoutingStrategyTest, CreateFailsWithStatusAndMessage) {
  EXPECT_TRUE(failed_with(create_status("create_fails"), StatusCode::kInvalidArgument,
                          fixture_file("create_fails"),
                          "create: create_fails fixture refuses every configuration"));
}

TEST_F(RoutingStrategyTest, CreateReturningOkWithoutInstanceIsAFailure) {
  EXPECT_TRUE(failed_with(
      create_status("create_fails", {PluginOption::from_scalar("anything", "1", false)}),
      StatusCode::kInternal, fixture_file("create_fails"), "create: returned OK but no instance"));
}

TEST_F(RoutingStrategyTest, NullOrNonRoutingLibraryIsRefused) {
  const Status status = RoutingStrategy::create(nullptr, {}).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("no plugin library"));
  // wrong_kind declares itself a migration plugin; PluginLibrary::open alone accepts that.
  auto migration = PluginLibrary::open(fixture_file("wrong_kind"));
  ASSERT_TRUE(migration.ok()) << migration.status().message();
  EXPECT_TRUE(failed_with(RoutingStrategy::create(*migration, {}).status(),
                          StatusCode::kInvalidArgument, fixture_file("wrong_kind"),
                          "is not a routing plugin"));
}

TEST_F(RoutingStrategyTest, RawPluginThrowingFromCreateIsContained) {
  EXPECT_TRUE(failed_with(
      create_status("raw_throw", {PluginOption::from_scalar("throw_in_create", "true", false)}),
      StatusCode::kInternal, fixture_file("raw_throw"),
      "create: plugin threw a C++ exception across the ABI: raw_throw fixture: create exploded"));
}

TEST_F(RoutingStrategyTest, RawPluginThrowingFromWorkCallsIsContained) {
  auto strategy = create("raw_throw");
  ASSERT_NE(strategy, nullptr);
  EXPECT_TRUE(failed_with(
      strategy->select(RoutingRequestInfo{}, nodes_with_in_flight({0, 1})).status(),
      StatusCode::kInternal, fixture_file("raw_throw"),
      "select: plugin threw a C++ exception across the ABI: raw_throw fixture: select exploded"));
  // A thrown int has no what(); the host still contains it.
  EXPECT_TRUE(failed_with(strategy->on_request_done("n", "r", 1.0, true), StatusCode::kInternal,
                          fixture_file("raw_throw"),
                          "on_request_done: plugin threw an exception across the ABI"));
  // The instance still works after the exceptions.
  EXPECT_TRUE(strategy->on_nodes_changed(nodes_with_in_flight({0})).ok());
}

TEST_F(RoutingStrategyTest, RawPluginThrowingFromDestroyDoesNotTerminate) {
  auto strategy =
      create("raw_throw", {PluginOption::from_scalar("throw_in_destroy", "true", false)});
  ASSERT_NE(strategy, nullptr);
  strategy.reset();  // Would std::terminate if ~RoutingStrategy let the exception out.
  EXPECT_EQ(strategy, nullptr);
}

TEST_F(RoutingStrategyTest, SdkPluginThrowingFromCreateBecomesStatusWithWhat) {
  EXPECT_TRUE(failed_with(
      create_status("sdk_throw", {PluginOption::from_scalar("throw_in_create", "true", false)}),
      StatusCode::kInternal, fixture_file("sdk_throw"),
      "create: unhandled exception: sdk_throw fixture: constructor exploded"));
}

TEST_F(RoutingStrategyTest, SdkPluginThrowingFromWorkCallsBecomesStatusWithWhat) {
  auto strategy = create("sdk_throw");
  ASSERT_NE(strategy, nullptr);
  // The SDK's guard caught it: no "across the ABI" from the host's last line of defence.
  const Status select = strategy->select(RoutingRequestInfo{}, nodes_with_in_flight({0})).status();
  EXPECT_TRUE(failed_with(select, StatusCode::kInternal, fixture_file("sdk_throw"),
                          "select: unhandled exception: sdk_throw fixture: select exploded"));
  EXPECT_THAT(select.message(), ::testing::Not(HasSubstr("across the ABI")));
  // sdk::Error keeps its own status.
  EXPECT_TRUE(failed_with(strategy->on_request_done("n", "r", 1.0, true), StatusCode::kUnavailable,
                          fixture_file("sdk_throw"),
                          "on_request_done: sdk_throw fixture: node is gone"));
  EXPECT_TRUE(failed_with(strategy->on_nodes_changed(nodes_with_in_flight({0})),
                          StatusCode::kInternal, fixture_file("sdk_throw"),
                          "on_nodes_changed: unhandled exception of unknown type"));
}

TEST_F(RoutingStrategyTest, SdkPluginRejectsUnknownAndMistypedOptions) {
  EXPECT_TRUE(failed_with(
      create_status("sdk_throw", {PluginOption::from_scalar("throw_in_creat", "true", false)}),
      StatusCode::kInvalidArgument, fixture_file("sdk_throw"),
      "unknown option 'throw_in_creat' (did you mean 'throw_in_create'?); known options: "
      "throw_in_create"));
  EXPECT_TRUE(failed_with(
      create_status("sdk_throw", {PluginOption::from_scalar("throw_in_create", "yes", false)}),
      StatusCode::kInvalidArgument, fixture_file("sdk_throw"),
      "option 'throw_in_create' must be true or false, got 'yes'"));
}

TEST_F(RoutingStrategyTest, PluginLogsThroughTheDaemonLoggerTaggedWithItsName) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>("capture", sink);
  capture->set_level(spdlog::level::trace);
  spdlog::set_default_logger(capture);
  auto strategy = create("minimal_c");
  spdlog::set_default_logger(previous);
  ASSERT_NE(strategy, nullptr);
  const std::vector<std::string> lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("[info]"));
  EXPECT_THAT(lines[0], HasSubstr("[routing/minimal_c] minimal C routing instance created"));
}

}  // namespace
}  // namespace disaggd::core
