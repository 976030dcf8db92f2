// call_plugin(): status mapping, message collection and containment of exceptions thrown by
// plugin code, exercised with in-process stand-ins for plugin functions.
#include "core/plugins/plugin_call.h"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace disaggd::core {
namespace {

void write(disaggd_string_sink* sink, const std::string& text) {
  sink->host_append(sink->host_ptr, text.data(), text.size());
}

TEST(PluginCallTest, MapsEveryAbiStatus) {
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_OK), StatusCode::kOk);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_IN_PROGRESS), StatusCode::kInvalidArgument);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_INVALID_ARGUMENT), StatusCode::kInvalidArgument);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_NOT_FOUND), StatusCode::kNotFound);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_UNAVAILABLE), StatusCode::kUnavailable);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_UNSUPPORTED), StatusCode::kUnsupported);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_OUT_OF_MEMORY), StatusCode::kOutOfMemory);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_TIMEOUT), StatusCode::kTimeout);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_REMOTE_DISCONNECTED), StatusCode::kUnavailable);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_CANCELLED), StatusCode::kCancelled);
  EXPECT_EQ(status_code_from_abi(DISAGGD_STATUS_INTERNAL), StatusCode::kInternal);
  // A value no header defines (a plugin from the future, or garbage) is an internal error.
  EXPECT_EQ(status_code_from_abi(static_cast<disaggd_status>(77)), StatusCode::kInternal);
}

TEST(PluginCallTest, OkIgnoresAnyText) {
  const Status status = call_plugin("p: f", [](disaggd_string_sink* sink) {
    write(sink, "chatter");
    return DISAGGD_STATUS_OK;
  });
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(status.message().empty());
}

TEST(PluginCallTest, FailureCarriesWhatAndEveryAppendedPiece) {
  const Status status = call_plugin("routing plugin 'x' (/p/x.so): select", [](auto* sink) {
    write(sink, "no node ");
    sink->host_append(sink->host_ptr, nullptr, 0);  // Tolerated.
    write(sink, "fits");
    return DISAGGD_STATUS_UNAVAILABLE;
  });
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "routing plugin 'x' (/p/x.so): select: no node fits");
}

TEST(PluginCallTest, FailureWithoutMessageSaysSo) {
  const Status status = call_plugin("p: f", [](auto*) { return DISAGGD_STATUS_TIMEOUT; });
  EXPECT_EQ(status.code(), StatusCode::kTimeout);
  EXPECT_EQ(status.message(), "p: f: failed without a message");
}

TEST(PluginCallTest, ContainsStdException) {
  const Status status =
      call_plugin("p: f", [](auto*) -> disaggd_status { throw std::out_of_range("index 9"); });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(), "p: f: plugin threw a C++ exception across the ABI: index 9");
}

TEST(PluginCallTest, ContainsAnyOtherException) {
  const Status status = call_plugin("p: f", [](auto*) -> disaggd_status { throw 3.5; });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(), "p: f: plugin threw an exception across the ABI");
}

TEST(PluginCallTest, TextWrittenBeforeAThrowIsDropped) {
  const Status status = call_plugin("p: f", [](disaggd_string_sink* sink) -> disaggd_status {
    write(sink, "half a message");
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(status.message(), "p: f: plugin threw a C++ exception across the ABI: boom");
}

}  // namespace
}  // namespace disaggd::core
