// Lock-free updates and the Prometheus text rendering.
#include "core/metrics/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace disaggd::core {
namespace {

void atomic_add(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

/// A number as Prometheus writes it: integers without a fraction, +Inf/-Inf/NaN by name.
std::string format_number(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

/// A label value with backslash, double quote and newline escaped.
std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_labels(MetricLabels labels, const char* extra_name = nullptr,
                          const std::string& extra_value = {}) {
  if (extra_name != nullptr) {
    labels.emplace_back(extra_name, extra_value);
  }
  if (labels.empty()) {
    return {};
  }
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out += (i ? "," : "") + labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

MetricLabels sorted(MetricLabels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace

void Counter::add(double amount) {
  assert(amount >= 0.0);
  atomic_add(value_, amount);
}

void Gauge::add(double amount) {
  atomic_add(value_, amount);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  assert(std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()));
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    counts_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::observe(double value) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, value);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(upper_bounds_.size() + 1);
  uint64_t total = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::vector<double> latency_buckets_seconds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

struct MetricsRegistry::Family {
  std::string help;
  std::string type;
  // One series per label set (sorted by label name).
  std::map<MetricLabels, std::unique_ptr<Counter>> counters;
  std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
  std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
  std::map<MetricLabels, std::function<double()>> callbacks;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help,
                                                 const char* type) {
  auto& slot = families_[name];
  if (!slot) {
    slot = std::make_unique<Family>();
    slot->help = help;
    slot->type = type;
  } else if (slot->type != type) {
    throw std::logic_error("metric " + name + " registered as " + slot->type + " and " + type);
  }
  return *slot;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  MetricLabels labels) {
  std::lock_guard lock(mutex_);
  auto& series = family(name, help, "counter").counters[sorted(std::move(labels))];
  if (!series) {
    series = std::make_unique<Counter>();
  }
  return *series;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              MetricLabels labels) {
  std::lock_guard lock(mutex_);
  auto& series = family(name, help, "gauge").gauges[sorted(std::move(labels))];
  if (!series) {
    series = std::make_unique<Gauge>();
  }
  return *series;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      std::vector<double> upper_bounds, MetricLabels labels) {
  std::lock_guard lock(mutex_);
  auto& series = family(name, help, "histogram").histograms[sorted(std::move(labels))];
  if (!series) {
    series = std::make_unique<Histogram>(std::move(upper_bounds));
  }
  return *series;
}

void MetricsRegistry::callback_gauge(const std::string& name, const std::string& help,
                                     std::function<double()> read, MetricLabels labels) {
  std::lock_guard lock(mutex_);
  family(name, help, "gauge").callbacks[sorted(std::move(labels))] = std::move(read);
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family->help + "\n";
    out += "# TYPE " + name + " " + family->type + "\n";
    for (const auto& [labels, counter] : family->counters) {
      out += name + format_labels(labels) + " " + format_number(counter->value()) + "\n";
    }
    for (const auto& [labels, gauge] : family->gauges) {
      out += name + format_labels(labels) + " " + format_number(gauge->value()) + "\n";
    }
    for (const auto& [labels, read] : family->callbacks) {
      out += name + format_labels(labels) + " " + format_number(read()) + "\n";
    }
    for (const auto& [labels, histogram] : family->histograms) {
      const std::vector<uint64_t> counts = histogram->cumulative_counts();
      const auto& bounds = histogram->upper_bounds();
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        out += name + "_bucket" + format_labels(labels, "le", format_number(bounds[i])) + " " +
               std::to_string(counts[i]) + "\n";
      }
      out += name + "_bucket" + format_labels(labels, "le", "+Inf") + " " +
             std::to_string(counts.back()) + "\n";
      out += name + "_sum" + format_labels(labels) + " " + format_number(histogram->sum()) + "\n";
      out += name + "_count" + format_labels(labels) + " " + std::to_string(counts.back()) + "\n";
    }
  }
  return out;
}

}  // namespace disaggd::core
