// UTF-8 helpers: validation, repair by maximal subparts, and the incomplete tail held back while
// streaming.
#include "engine/tokenizer/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace disaggd::engine {
namespace {

const std::string kFffd(kUtf8Replacement);

TEST(TokenizerUtf8Test, ValidatesWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x99\x82"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(TokenizerUtf8Test, RejectsEveryIllFormedShape) {
  EXPECT_EQ(utf8_valid_prefix_length("ab\x80"), 2u);            // lone continuation
  EXPECT_EQ(utf8_valid_prefix_length("a\xC0\xAF"), 1u);         // overlong lead
  EXPECT_EQ(utf8_valid_prefix_length("\xE0\x80\x80"), 0u);      // overlong 3-byte
  EXPECT_EQ(utf8_valid_prefix_length("x\xED\xA0\x80"), 1u);     // surrogate U+D800
  EXPECT_EQ(utf8_valid_prefix_length("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8_valid_prefix_length("\xF5\x80"), 0u);          // byte that never leads
  EXPECT_EQ(utf8_valid_prefix_length("ok\xE2\x82"), 2u);        // truncated at the end
}

TEST(TokenizerUtf8Test, RepairReplacesEachMaximalSubpartOnce) {
  // E2 82 is the start of "€" cut short: one U+FFFD, then the 'x' survives.
  EXPECT_EQ(utf8_repair("a\xE2\x82x"), "a" + kFffd + "x");
  // Two lone continuation bytes: two replacements.
  EXPECT_EQ(utf8_repair("\x80\x80"), kFffd + kFffd);
  // C0 can never lead: each byte separately (Unicode's "maximal subpart" rule).
  EXPECT_EQ(utf8_repair("\xC0\xAF"), kFffd + kFffd);
  // A surrogate: ED then A0 is not allowed, so ED, A0 and 80 are each replaced.
  EXPECT_EQ(utf8_repair("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(utf8_repair("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(utf8_repair("\xF0\x9F\x99"), kFffd);
}

TEST(TokenizerUtf8Test, IncompleteTailIsOnlyWhatCouldStillComplete) {
  EXPECT_EQ(utf8_incomplete_tail_length(""), 0u);
  EXPECT_EQ(utf8_incomplete_tail_length("abc"), 0u);
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xF0"), 1u);
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xF0\x9F"), 2u);
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xF0\x9F\x99"), 3u);
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xF0\x9F\x99\x82"), 0u);  // complete 🙂
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xE2\x82"), 2u);
  EXPECT_EQ(utf8_incomplete_tail_length("ab\x82"), 0u);  // a stray continuation never completes
  EXPECT_EQ(utf8_incomplete_tail_length("\xE2\x82\xF0"), 1u);
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xED\xA0"), 0u);  // would be a surrogate
  EXPECT_EQ(utf8_incomplete_tail_length("ab\xC0"), 0u);
}

TEST(TokenizerUtf8Test, CodePointsRoundTrip) {
  for (const char32_t cp : {U'A', U'\u00E9', U'\u6771', U'\U0001F642', U'\U0010FFFF'}) {
    std::string text;
    utf8_append(text, cp);
    EXPECT_TRUE(is_valid_utf8(text));
    std::size_t pos = 0;
    EXPECT_EQ(utf8_next_code_point(text, pos), cp);
    EXPECT_EQ(pos, text.size());
  }
}

}  // namespace
}  // namespace disaggd::engine
