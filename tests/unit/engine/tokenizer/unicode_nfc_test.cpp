// NFC: our tables and algorithm against Python's unicodedata on every code point that has a
// canonical decomposition (alone, and as its NFD plus a combining mark), and on tricky sequences.
#include "engine/tokenizer/unicode_nfc.h"

#include <gtest/gtest.h>

#include "tokenizer_test_support.h"

namespace disaggd::engine {
namespace {

TEST(TokenizerNfcTest, MatchesPythonUnicodedataOnEveryDecomposableCodePoint) {
  const nlohmann::json expected = testing::read_json(testing::fixture_dir() / "expected.json");
  ASSERT_EQ(expected["unicode_version"].get<std::string>(), nfc_unicode_version());
  std::size_t checked = 0;
  for (const auto& pair : expected["nfc"]) {
    const std::string input = pair[0].get<std::string>();
    const std::string want = pair[1].get<std::string>();
    EXPECT_EQ(nfc_normalize(input), want) << "input: " << input;
    ++checked;
  }
  EXPECT_GT(checked, 4000u);
}

TEST(TokenizerNfcTest, ComposesReordersAndKeepsExclusions) {
  EXPECT_EQ(nfc_normalize("cafe\xCC\x81"), "caf\xC3\xA9");  // e + U+0301 -> é
  // q + dot below (220) + dot above (230) in the wrong order: reordered, nothing composes.
  EXPECT_EQ(nfc_normalize("q\xCC\x87\xCC\xA3"), "q\xCC\xA3\xCC\x87");
  EXPECT_EQ(nfc_normalize("\xE2\x84\xAB"), "\xC3\x85");  // Å ANGSTROM SIGN -> Å (singleton)
  EXPECT_EQ(nfc_normalize("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB"), "\xED\x95\x9C");  // jamo -> 한
  EXPECT_EQ(nfc_normalize("\xE0\xA5\x98"), "\xE0\xA4\x95\xE0\xA4\xBC");  // U+0958 is excluded
}

TEST(TokenizerNfcTest, TextThatCannotChangeComesBackAsIs) {
  for (const std::string text :
       {"", "plain ascii", "caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x99\x82",
        "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4"}) {
    EXPECT_EQ(nfc_normalize(text), text);
  }
}

}  // namespace
}  // namespace disaggd::engine
