// Encoding speed helper (the benchmark tool reports its numbers; tests never assert on time) and
// the freshness of the committed byte-level fixtures.
#include "engine/tokenizer/tokenizer_benchmark.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "support/temp_dir.h"
#include "tokenizer_test_support.h"

namespace disaggd::engine {
namespace {

TEST(TokenizerBenchmarkTest, SyntheticTextIsDeterministicValidAndVaried) {
  const std::string a = make_benchmark_text(50000, 5);
  EXPECT_EQ(a, make_benchmark_text(50000, 5));
  EXPECT_NE(a, make_benchmark_text(50000, 6));
  EXPECT_GE(a.size(), 50000u);
  EXPECT_LT(a.size(), 50100u);
  EXPECT_TRUE(is_valid_utf8(a));
  for (const char* needle : {"\n", "\t", "   ", "'", "\xF0\x9F", "\xE6\x9D\xB1", "0"}) {
    EXPECT_NE(a.find(needle), std::string::npos) << needle;
  }
}

TEST(TokenizerBenchmarkTest, ReportsEncodingSpeedOfEveryTokenizer) {
  const std::string text = make_benchmark_text(1 << 18);
  struct Named {
    const char* name;
    std::unique_ptr<Tokenizer> tokenizer;
  };
  Named tokenizers[] = {
      {"stories260K tokenizer.json", testing::stories_json()},
      {"stories260K tokenizer.model", testing::stories_model()},
      {"qwen2-style byte-level",
       testing::must(load_tokenizer(testing::fixture_dir() / "qwen2_style"))},
  };
  for (const Named& named : tokenizers) {
    ASSERT_NE(named.tokenizer, nullptr);
    const core::Result<EncodeSpeed> speed = measure_encode_speed(*named.tokenizer, text, 0.1);
    ASSERT_TRUE(speed.ok()) << speed.status().message();
    EXPECT_GT(speed->tokens, text.size() / 10);
    EXPECT_GE(speed->runs, 1u);
    EXPECT_GT(speed->tokens_per_second, 0.0);
    std::cout << named.name << ": " << speed->tokens << " tokens per " << speed->bytes << " bytes, "
              << static_cast<long long>(speed->tokens_per_second) << " tokens/s warm ("
              << speed->megabytes_per_second << " MB/s), first run " << speed->first_run_seconds
              << " s\n";
  }
}

TEST(TokenizerFixtureTest, CommittedByteLevelFixturesAreWhatTheScriptWrites) {
  disaggd::testing::TempDir dir;
  const std::string command = std::string(DISAGGD_TEST_PYTHON) + " '" +
                              (testing::fixture_dir() / "make_byte_level_bpe.py").string() + "' '" +
                              dir.path().string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  for (const char* file : {"qwen2_style/tokenizer.json", "qwen2_style/tokenizer_config.json",
                           "gpt2_style/tokenizer.json", "expected.json"}) {
    std::ifstream fresh(dir.path() / file, std::ios::binary);
    std::ifstream committed(testing::fixture_dir() / file, std::ios::binary);
    std::stringstream a;
    std::stringstream b;
    a << fresh.rdbuf();
    b << committed.rdbuf();
    EXPECT_EQ(a.str(), b.str()) << file << " is stale: run tests/fixtures/tokenizers/"
                                << "make_byte_level_bpe.py";
  }
}

}  // namespace
}  // namespace disaggd::engine
