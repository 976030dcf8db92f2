// The plugin SDK's helpers: disaggd::sdk::Options over options typed by the host, closest_match,
// and guard_call/write_to_sink, the boundary that keeps exceptions out of the ABI.
#include "disaggd/sdk/options.hpp"

#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/plugins/plugin_options.h"
#include "disaggd/sdk/closest_match.hpp"
#include "disaggd/sdk/error.hpp"

namespace disaggd {
namespace {

using core::PluginOption;
using ::testing::HasSubstr;

// Options as the host builds them from config text, and the SDK's reader over their ABI form.
class SdkOptionsTest : public ::testing::Test {
 protected:
  sdk::Options& read(std::vector<PluginOption> options) {
    owned_ = std::move(options);
    abi_ = std::make_unique<core::AbiOptions>(owned_);
    reader_ = std::make_unique<sdk::Options>(abi_->data(), abi_->size());
    return *reader_;
  }

  // Runs `body`, expects an sdk::Error with INVALID_ARGUMENT and returns its message.
  template <class Body>
  static std::string invalid_argument(Body&& body) {
    try {
      body();
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.status(), DISAGGD_STATUS_INVALID_ARGUMENT);
      return e.what();
    }
    ADD_FAILURE() << "no sdk::Error thrown";
    return "";
  }

  static PluginOption opt(const char* key, const char* text, bool quoted = false) {
    return PluginOption::from_scalar(key, text, quoted);
  }

  std::vector<PluginOption> owned_;
  std::unique_ptr<core::AbiOptions> abi_;
  std::unique_ptr<sdk::Options> reader_;
};

TEST_F(SdkOptionsTest, AbsentOptionsGiveTheFallback) {
  sdk::Options& options = read({});
  EXPECT_EQ(options.get_int("window", 8, 1, 100), 8);
  EXPECT_EQ(options.get_float("alpha", 0.5, 0.0, 1.0), 0.5);
  EXPECT_TRUE(options.get_bool("enabled", true));
  EXPECT_EQ(options.get_string("mode", "fast"), "fast");
  EXPECT_FALSE(options.has("window"));
  EXPECT_NO_THROW(options.reject_unknown());
}

TEST_F(SdkOptionsTest, TypedValues) {
  sdk::Options& options = read({opt("window", "16"), opt("alpha", "0.25"), opt("enabled", "false"),
                                opt("mode", "16", true), opt("weight", "3")});
  EXPECT_EQ(options.get_int("window", 8, 1, 100), 16);
  EXPECT_EQ(options.get_float("alpha", 0.5, 0.0, 1.0), 0.25);
  EXPECT_FALSE(options.get_bool("enabled", true));
  EXPECT_EQ(options.get_string("mode", "fast"), "16");          // Quoted in YAML: a string.
  EXPECT_EQ(options.get_float("weight", 1.0, 0.0, 10.0), 3.0);  // Integers are numbers too.
  EXPECT_NO_THROW(options.reject_unknown());
}

TEST_F(SdkOptionsTest, WrongTypeNamesKeyExpectationAndText) {
  sdk::Options& options =
      read({opt("window", "1.5"), opt("alpha", "fast"), opt("enabled", "1"), opt("mode", "16")});
  EXPECT_EQ(invalid_argument([&] { options.get_int("window", 8, 1, 100); }),
            "option 'window' must be an integer, got '1.5'");
  EXPECT_EQ(invalid_argument([&] { options.get_float("alpha", 0.5, 0.0, 1.0); }),
            "option 'alpha' must be a number, got 'fast'");
  EXPECT_EQ(invalid_argument([&] { options.get_bool("enabled", false); }),
            "option 'enabled' must be true or false, got '1'");
  EXPECT_EQ(invalid_argument([&] { options.get_string("mode", ""); }),
            "option 'mode' must be a string, got '16'");
}

TEST_F(SdkOptionsTest, OutOfRangeNamesTheRange) {
  sdk::Options& options = read({opt("window", "101"), opt("low", "0"), opt("alpha", "1.5")});
  EXPECT_EQ(invalid_argument([&] { options.get_int("window", 8, 1, 100); }),
            "option 'window' must be an integer from 1 to 100, got '101'");
  EXPECT_THAT(invalid_argument([&] { options.get_int("low", 8, 1, 100); }), HasSubstr("got '0'"));
  EXPECT_THAT(invalid_argument([&] { options.get_float("alpha", 0.5, 0.0, 1.0); }),
              HasSubstr("option 'alpha' must be a number from 0"));
  // Bounds are inclusive.
  sdk::Options& edges = read({opt("a", "1"), opt("b", "100")});
  EXPECT_EQ(edges.get_int("a", 0, 1, 100), 1);
  EXPECT_EQ(edges.get_int("b", 0, 1, 100), 100);
}

TEST_F(SdkOptionsTest, RejectUnknownSuggestsTheClosestKnownKey) {
  sdk::Options& options = read({opt("windw", "16")});
  options.get_int("window", 8, 1, 100);
  options.get_bool("enabled", true);
  EXPECT_EQ(invalid_argument([&] { options.reject_unknown(); }),
            "unknown option 'windw' (did you mean 'window'?); known options: enabled window");
}

TEST_F(SdkOptionsTest, RejectUnknownWithoutSuggestionOrKnownKeys) {
  sdk::Options& far = read({opt("zzzzzz", "1")});
  far.has("window");
  EXPECT_EQ(invalid_argument([&] { far.reject_unknown(); }),
            "unknown option 'zzzzzz'; known options: window");
  sdk::Options& none = read({opt("window", "1")});
  EXPECT_EQ(invalid_argument([&] { none.reject_unknown(); }),
            "unknown option 'window'; this plugin takes no options");
}

TEST_F(SdkOptionsTest, HasMarksTheKeyKnown) {
  sdk::Options& options = read({opt("seed", "7")});
  EXPECT_TRUE(options.has("seed"));
  EXPECT_NO_THROW(options.reject_unknown());
}

TEST(SdkClosestMatchTest, EditDistance) {
  EXPECT_EQ(sdk::edit_distance("", ""), 0u);
  EXPECT_EQ(sdk::edit_distance("abc", ""), 3u);
  EXPECT_EQ(sdk::edit_distance("", "abc"), 3u);
  EXPECT_EQ(sdk::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(sdk::edit_distance("sitting", "kitten"), 3u);
  EXPECT_EQ(sdk::edit_distance("random", "random"), 0u);
  EXPECT_EQ(sdk::edit_distance("randon", "random"), 1u);
}

TEST(SdkClosestMatchTest, PicksThePlausibleTypo) {
  const std::vector<std::string> names = {"random", "min_expected_latency", "min_observed_latency"};
  EXPECT_EQ(sdk::closest_match("randon", names), "random");
  EXPECT_EQ(sdk::closest_match("min_expected_latncy", names), "min_expected_latency");
  EXPECT_EQ(sdk::closest_match("min_observd_latency", names), "min_observed_latency");
  EXPECT_EQ(sdk::closest_match("round_robin", names), "");
  EXPECT_EQ(sdk::closest_match("randon", {}), "");
  // Short words still allow one edit.
  EXPECT_EQ(sdk::closest_match("b", {"a"}), "a");
  EXPECT_EQ(sdk::closest_match("ab", {"cd"}), "");
}

TEST(SdkClosestMatchTest, PrefersTheSmallerDistanceAndThenTheFirst) {
  EXPECT_EQ(sdk::closest_match("abcdefgh", {"abcdefxx", "abcdefgx"}), "abcdefgx");
  EXPECT_EQ(sdk::closest_match("abcdefgh", {"abcdefgy", "abcdefgx"}), "abcdefgy");
}

class SdkGuardCallTest : public ::testing::Test {
 protected:
  static void append(void* host_ptr, const char* data, size_t size) {
    static_cast<std::string*>(host_ptr)->append(data, size);
  }
  std::string text_;
  disaggd_string_sink sink_{&text_, &SdkGuardCallTest::append};
};

TEST_F(SdkGuardCallTest, ReturnsTheBodysStatus) {
  EXPECT_EQ(sdk::guard_call(&sink_, [] { return DISAGGD_STATUS_OK; }), DISAGGD_STATUS_OK);
  EXPECT_EQ(sdk::guard_call(&sink_, [] { return DISAGGD_STATUS_NOT_FOUND; }),
            DISAGGD_STATUS_NOT_FOUND);
  EXPECT_TRUE(text_.empty());
}

TEST_F(SdkGuardCallTest, ErrorKeepsItsStatusAndMessage) {
  EXPECT_EQ(sdk::guard_call(&sink_,
                            []() -> disaggd_status {
                              throw sdk::Error(DISAGGD_STATUS_TIMEOUT, "peer too slow");
                            }),
            DISAGGD_STATUS_TIMEOUT);
  EXPECT_EQ(text_, "peer too slow");
}

TEST_F(SdkGuardCallTest, BadAllocIsOutOfMemory) {
  EXPECT_EQ(sdk::guard_call(&sink_, []() -> disaggd_status { throw std::bad_alloc(); }),
            DISAGGD_STATUS_OUT_OF_MEMORY);
  EXPECT_EQ(text_, "out of memory");
}

TEST_F(SdkGuardCallTest, StdExceptionIsInternalWithWhat) {
  EXPECT_EQ(sdk::guard_call(&sink_,
                            []() -> disaggd_status { throw std::invalid_argument("bad index 3"); }),
            DISAGGD_STATUS_INTERNAL);
  EXPECT_EQ(text_, "unhandled exception: bad index 3");
}

TEST_F(SdkGuardCallTest, AnythingElseIsInternal) {
  EXPECT_EQ(sdk::guard_call(&sink_, []() -> disaggd_status { throw 42; }), DISAGGD_STATUS_INTERNAL);
  EXPECT_EQ(text_, "unhandled exception of unknown type");
}

TEST_F(SdkGuardCallTest, NullSinkStillGivesTheStatus) {
  EXPECT_EQ(sdk::guard_call(nullptr,
                            []() -> disaggd_status { throw std::runtime_error("nobody listens"); }),
            DISAGGD_STATUS_INTERNAL);
  disaggd_string_sink no_append{&text_, nullptr};
  EXPECT_EQ(sdk::guard_call(
                &no_append,
                []() -> disaggd_status { throw sdk::Error(DISAGGD_STATUS_UNAVAILABLE, "x"); }),
            DISAGGD_STATUS_UNAVAILABLE);
  EXPECT_TRUE(text_.empty());
}

TEST_F(SdkGuardCallTest, WriteToSinkSkipsEmptyText) {
  int calls = 0;
  disaggd_string_sink counting{
      &calls, [](void* host_ptr, const char*, size_t) { ++*static_cast<int*>(host_ptr); }};
  sdk::write_to_sink(&counting, "");
  EXPECT_EQ(calls, 0);
  sdk::write_to_sink(&counting, "x");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace disaggd
