// StopMatcher: stop strings within and across pieces, held-back prefixes released, several and
// overlapping stop strings, UTF-8, flush, and random streams against a whole-text reference.
#include "engine/sampling/stop_matcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace disaggd::engine {
namespace {

/// The result of one push, for EXPECT_EQ.
struct Step {
  std::string emit;
  bool stopped;
  int32_t stop_index;
  bool operator==(const Step&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Step& step) {
  return out << "{\"" << step.emit << "\", " << (step.stopped ? "stopped" : "running") << ", "
             << step.stop_index << "}";
}

Step push(StopMatcher& matcher, std::string_view text) {
  StopResult result = matcher.push(text);
  return Step{std::move(result.emit), result.stopped, result.stop_index};
}

StopMatcher matcher_of(std::vector<std::string> stops) {
  return StopMatcher(stops);
}

TEST(StopMatcherTest, WithoutStopStringsEverythingPassesAtOnce) {
  StopMatcher matcher = matcher_of({});
  EXPECT_EQ(push(matcher, "Hello, "), (Step{"Hello, ", false, -1}));
  EXPECT_EQ(push(matcher, "world"), (Step{"world", false, -1}));
  EXPECT_EQ(matcher.flush(), "");
}

TEST(StopMatcherTest, StopStringInsideOnePiece) {
  StopMatcher matcher = matcher_of({"END"});
  EXPECT_EQ(push(matcher, "Hello"), (Step{"Hello", false, -1}));
  EXPECT_EQ(push(matcher, " worldEND more"), (Step{" world", true, 0}));
  EXPECT_TRUE(matcher.stopped());
}

TEST(StopMatcherTest, StopStringSpanningTwoPieces) {
  StopMatcher matcher = matcher_of({"</s>"});
  EXPECT_EQ(push(matcher, "abc</"), (Step{"abc", false, -1}));
  EXPECT_EQ(matcher.held_bytes(), 2u);
  EXPECT_EQ(push(matcher, "s>tail"), (Step{"", true, 0}));
}

TEST(StopMatcherTest, StopStringSpanningThreePieces) {
  StopMatcher matcher = matcher_of({"<|im_end|>"});
  EXPECT_EQ(push(matcher, "Sure.<|"), (Step{"Sure.", false, -1}));
  EXPECT_EQ(push(matcher, "im_"), (Step{"", false, -1}));
  EXPECT_EQ(push(matcher, "end|>"), (Step{"", true, 0}));
}

TEST(StopMatcherTest, APrefixThatDoesNotCompleteIsReleased) {
  StopMatcher matcher = matcher_of({"STOP"});
  EXPECT_EQ(push(matcher, "ST"), (Step{"", false, -1}));
  EXPECT_EQ(push(matcher, "OK"), (Step{"STOK", false, -1}));
  // A prefix that fails but whose tail starts the stop string again keeps only that tail.
  EXPECT_EQ(push(matcher, " STO"), (Step{" ", false, -1}));
  EXPECT_EQ(push(matcher, "STO"), (Step{"STO", false, -1}));
  EXPECT_EQ(push(matcher, "P"), (Step{"", true, 0}));
}

TEST(StopMatcherTest, SelfOverlappingStopString) {
  StopMatcher matcher = matcher_of({"aab"});
  EXPECT_EQ(push(matcher, "aa"), (Step{"", false, -1}));
  EXPECT_EQ(push(matcher, "a"), (Step{"a", false, -1}));
  EXPECT_EQ(push(matcher, "b!"), (Step{"", true, 0}));
}

TEST(StopMatcherTest, SeveralStopStringsReportWhichOne) {
  StopMatcher matcher = matcher_of({"foo", "bar", "baz"});
  EXPECT_EQ(push(matcher, "xxba"), (Step{"xx", false, -1}));
  EXPECT_EQ(push(matcher, "z"), (Step{"", true, 2}));
}

TEST(StopMatcherTest, HoldsTheLongestPrefixOfAnyStopString) {
  StopMatcher matcher = matcher_of({"xyz", "yzw"});
  EXPECT_EQ(push(matcher, "..xy"), (Step{"..", false, -1}));  // "xy" starts "xyz"
  EXPECT_EQ(push(matcher, "z"), (Step{"", true, 0}));
}

TEST(StopMatcherTest, OverlappingStopStringsCutAtTheEarliestStart) {
  // "bc" completes first when the text comes byte by byte...
  StopMatcher byte_by_byte = matcher_of({"abcde", "bc"});
  EXPECT_EQ(push(byte_by_byte, "a"), (Step{"", false, -1}));
  EXPECT_EQ(push(byte_by_byte, "b"), (Step{"", false, -1}));
  EXPECT_EQ(push(byte_by_byte, "c"), (Step{"a", true, 1}));
  // ...but when one piece holds both, the text stops before the one that starts first.
  StopMatcher whole = matcher_of({"cd", "abcde"});
  EXPECT_EQ(push(whole, "xabcdef"), (Step{"x", true, 1}));
  // Both start at the same place: the text before it is the same.
  StopMatcher same_start = matcher_of({"abc", "ab"});
  EXPECT_EQ(push(same_start, "zzabc"), (Step{"zz", true, 1}));
}

TEST(StopMatcherTest, StopAtTheVeryStart) {
  StopMatcher matcher = matcher_of({"\n\n"});
  EXPECT_EQ(push(matcher, "\n\nHello"), (Step{"", true, 0}));
  StopMatcher split = matcher_of({"\n\n"});
  EXPECT_EQ(push(split, "\n"), (Step{"", false, -1}));
  EXPECT_EQ(push(split, "\n"), (Step{"", true, 0}));
}

TEST(StopMatcherTest, AfterAStopEverythingIsIgnored) {
  StopMatcher matcher = matcher_of({"#"});
  EXPECT_EQ(push(matcher, "a#b"), (Step{"a", true, 0}));
  EXPECT_EQ(push(matcher, "more text"), (Step{"", true, 0}));
  EXPECT_EQ(matcher.flush(), "");
  EXPECT_FALSE(matcher.stopped());  // flush() starts over
  EXPECT_EQ(push(matcher, "x"), (Step{"x", false, -1}));
}

TEST(StopMatcherTest, Utf8StopStrings) {
  StopMatcher matcher = matcher_of({"终了", "。"});
  EXPECT_EQ(push(matcher, "你好"), (Step{"你好", false, -1}));
  EXPECT_EQ(push(matcher, "终"), (Step{"", false, -1}));
  EXPECT_EQ(push(matcher, "点"), (Step{"终点", false, -1}));
  EXPECT_EQ(push(matcher, "，终"), (Step{"，", false, -1}));
  EXPECT_EQ(push(matcher, "了吧"), (Step{"", true, 0}));

  // "è" (C3 A8) shares its first byte with the stop string "é" (C3 A9) but is not held.
  StopMatcher accent = matcher_of({"é"});
  EXPECT_EQ(push(accent, "cafè"), (Step{"cafè", false, -1}));
  EXPECT_EQ(push(accent, " café"), (Step{" caf", true, 0}));
}

TEST(StopMatcherTest, FlushReturnsTheHeldText) {
  StopMatcher matcher = matcher_of({"<|im_end|>"});
  EXPECT_EQ(push(matcher, "the end<|im"), (Step{"the end", false, -1}));
  EXPECT_EQ(matcher.flush(), "<|im");
  EXPECT_EQ(matcher.held_bytes(), 0u);
  // The automaton starts over: "_end|>" alone is not a stop.
  EXPECT_EQ(push(matcher, "_end|>"), (Step{"_end|>", false, -1}));
}

TEST(StopMatcherTest, EmptyStopStringsAreIgnoredButIndicesKept) {
  StopMatcher matcher = matcher_of({"", "x"});
  EXPECT_EQ(push(matcher, "abc"), (Step{"abc", false, -1}));
  EXPECT_EQ(push(matcher, "x"), (Step{"", true, 1}));
}

TEST(StopMatcherTest, HoldsNoMoreThanTheLongestStopStringLessOne) {
  const std::string stop = std::string(1000, 'a') + "b";
  StopMatcher matcher = matcher_of({stop});
  std::string emitted;
  for (int i = 0; i < 5000; ++i) {  // 'a' forever: quadratic matching would take seconds
    emitted += matcher.push("a").emit;
    ASSERT_LE(matcher.held_bytes(), stop.size() - 1);
  }
  EXPECT_EQ(emitted, std::string(4000, 'a'));
  EXPECT_EQ(push(matcher, "b"), (Step{"", true, 0}));
}

/// Where the text `text` should be cut: the earliest start of any stop string in it.
std::size_t reference_cut(std::string_view text, const std::vector<std::string>& stops) {
  std::size_t cut = std::string::npos;
  for (const std::string& stop : stops) {
    cut = std::min(cut, text.find(stop));
  }
  return cut;
}

TEST(StopMatcherTest, RandomStreamsMatchTheWholeTextReference) {
  std::mt19937 rng(8);
  const auto random_string = [&](std::size_t min_size, std::size_t max_size) {
    std::uniform_int_distribution<std::size_t> size(min_size, max_size);
    std::uniform_int_distribution<int> letter(0, 2);
    std::string s(size(rng), 'a');
    for (char& c : s) {
      c = static_cast<char>('a' + letter(rng));
    }
    return s;
  };
  int stopped_streams = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> stops(std::uniform_int_distribution<int>(1, 4)(rng));
    for (std::string& stop : stops) {
      stop = random_string(1, 6);
    }
    const std::string text = random_string(0, 40);
    StopMatcher matcher(stops);
    std::string emitted;
    std::size_t fed = 0;
    bool stopped = false;
    while (fed < text.size() && !stopped) {
      const std::size_t piece =
          std::min(text.size() - fed, std::uniform_int_distribution<std::size_t>(0, 5)(rng));
      const StopResult result = matcher.push(std::string_view(text).substr(fed, piece));
      fed += piece;
      emitted += result.emit;
      stopped = result.stopped;
      // Stopped exactly when the text so far holds a stop string.
      const std::size_t cut = reference_cut(text.substr(0, fed), stops);
      ASSERT_EQ(stopped, cut != std::string::npos) << text;
      ASSERT_EQ(text.compare(0, emitted.size(), emitted), 0) << text;
      if (stopped) {
        ASSERT_EQ(emitted, text.substr(0, cut)) << text;
        ASSERT_EQ(stops[static_cast<std::size_t>(result.stop_index)],
                  text.substr(cut, stops[static_cast<std::size_t>(result.stop_index)].size()));
      } else {
        // Held: exactly the longest tail of the text so far that starts a stop string.
        std::size_t hold = 0;
        for (const std::string& stop : stops) {
          for (std::size_t k = 1; k < stop.size() && k <= fed; ++k) {
            if (text.compare(fed - k, k, stop, 0, k) == 0) {
              hold = std::max(hold, k);
            }
          }
        }
        ASSERT_EQ(matcher.held_bytes(), hold) << text;
        ASSERT_EQ(emitted.size() + hold, fed) << text;
      }
    }
    if (stopped) {
      ++stopped_streams;
    } else {
      emitted += matcher.flush();
      ASSERT_EQ(emitted, text);
    }
  }
  EXPECT_GT(stopped_streams, 300);  // Both outcomes were exercised
  EXPECT_LT(stopped_streams, 2700);
}

}  // namespace
}  // namespace disaggd::engine
