// Metrics: counters, gauges and histograms that any thread updates without locks, kept in a
// registry that renders them in the Prometheus text format (GET /metrics).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace disaggd::core {

/// Label pairs of one series, e.g. {{"status", "200"}}. Ordered by name in the output.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// A value that only goes up. Thread-safe.
class Counter {
 public:
  void add(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down. Thread-safe.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Observations counted in cumulative buckets (upper bounds, ascending) plus their sum.
/// Thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  /// Observations <= upper_bounds()[i] (cumulative), then the total count.
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, +1 for above the last bound
  std::atomic<double> sum_{0.0};
};

/// Latency buckets in seconds, 1 ms to 60 s.
std::vector<double> latency_buckets_seconds();

/// Owns the metrics of a process. Metrics are created once (usually at start-up) and live as long
/// as the registry; the references returned stay valid. Creating and rendering lock a mutex;
/// updating a metric does not.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  /// The series `name` with `labels` (created on first use; later calls return the same one).
  Counter& counter(const std::string& name, const std::string& help, MetricLabels labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, MetricLabels labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       std::vector<double> upper_bounds, MetricLabels labels = {});
  /// A gauge whose value is read from `read` at each render (called under the registry's lock,
  /// from the rendering thread: it must be thread-safe and quick).
  void callback_gauge(const std::string& name, const std::string& help,
                      std::function<double()> read, MetricLabels labels = {});

  /// Every series in the Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, const char* type);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

}  // namespace disaggd::core
