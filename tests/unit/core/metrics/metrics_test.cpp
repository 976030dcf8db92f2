// MetricsRegistry: series per label set, concurrent updates, Prometheus text.
#include "core/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace disaggd::core {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, SeriesAreKeptPerLabelSetAndRenderedWithHelpAndType) {
  MetricsRegistry registry;
  registry.counter("requests_total", "Requests.", {{"status", "200"}}).add();
  registry.counter("requests_total", "Requests.", {{"status", "200"}}).add(2);
  registry.counter("requests_total", "Requests.", {{"status", "400"}}).add();
  registry.gauge("running", "Running sequences.").set(3);
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("# HELP requests_total Requests.\n# TYPE requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("requests_total{status=\"200\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("requests_total{status=\"400\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE running gauge\nrunning 3\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("ttft_seconds", "Time to first token.", {0.1, 1.0});
  h.observe(0.05);
  h.observe(0.1);  // on a bound: counts in that bucket (le)
  h.observe(0.5);
  h.observe(7.0);
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("ttft_seconds_bucket{le=\"0.10000000000000001\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("ttft_seconds_bucket{le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("ttft_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("ttft_seconds_sum 7.6500000000000004\n"));
  EXPECT_THAT(text, HasSubstr("ttft_seconds_count 4\n"));
}

TEST(MetricsTest, CallbackGaugesAreReadAtRenderTime) {
  MetricsRegistry registry;
  double free_blocks = 5;
  registry.callback_gauge("kv_blocks", "KV blocks.", [&] { return free_blocks; },
                          {{"state", "free"}});
  EXPECT_THAT(registry.render(), HasSubstr("kv_blocks{state=\"free\"} 5\n"));
  free_blocks = 2;
  EXPECT_THAT(registry.render(), HasSubstr("kv_blocks{state=\"free\"} 2\n"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.counter("c", "C.", {{"model", "a\"b\\c\nd"}}).add();
  EXPECT_THAT(registry.render(), HasSubstr("c{model=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  Counter& counter = registry.counter("n", "N.");
  Histogram& histogram = registry.histogram("h", "H.", {1.0});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.add();
        histogram.observe(0.5);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(counter.value(), 40000.0);
  EXPECT_EQ(histogram.cumulative_counts().back(), 40000u);
  EXPECT_EQ(histogram.sum(), 20000.0);
}

TEST(MetricsTest, ANameCannotBeTwoTypes) {
  MetricsRegistry registry;
  registry.counter("x", "X.");
  EXPECT_THROW(registry.gauge("x", "X."), std::logic_error);
}

}  // namespace
}  // namespace disaggd::core
