// Test helpers for routing plugins: load a strategy through the real plugin host, build node
// tables, count picks and judge pick frequencies with a chi-square test.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/plugins/plugin_host.h"
#include "core/plugins/plugin_kind.h"
#include "core/plugins/plugin_options.h"
#include "core/plugins/routing_strategy.h"
#include "core/status.h"
#include "disaggd/routing.h"

namespace disaggd::test {

/// Creates an instance of the routing plugin `name` from the build tree with `options`, the way
/// the daemon does (PluginHost::load, then RoutingStrategy::create). The library stays loaded as
/// long as the strategy lives.
inline core::Result<std::unique_ptr<core::RoutingStrategy>> make_strategy(
    const std::string& name, const core::PluginOptions& options = {}) {
  core::PluginHost host({DISAGGD_TEST_PLUGIN_DIR});
  core::Result<std::shared_ptr<core::PluginLibrary>> library =
      host.load(core::PluginKind::kRouting, name);
  if (!library.ok()) {
    return library.status();
  }
  return core::RoutingStrategy::create(std::move(library).value(), options);
}

/// An option as the config loader makes it from an unquoted YAML scalar.
inline core::PluginOption option(const std::string& key, const std::string& value) {
  return core::PluginOption::from_scalar(key, value, false);
}

/// A node with id "node<index>" and the given speed and load.
inline core::RoutingNodeStats node(std::size_t index, double speed = 0.0, unsigned in_flight = 0,
                                   std::vector<double> latencies = {}) {
  core::RoutingNodeStats stats;
  stats.id = "http://node" + std::to_string(index) + ":8000";
  stats.in_flight = in_flight;
  stats.speed = speed;
  stats.recent_latencies_ms = std::move(latencies);
  return stats;
}

/// Nodes 0..n-1, one per speed.
inline std::vector<core::RoutingNodeStats> nodes_with_speeds(const std::vector<double>& speeds) {
  std::vector<core::RoutingNodeStats> nodes;
  for (std::size_t i = 0; i < speeds.size(); ++i) {
    nodes.push_back(node(i, speeds[i]));
  }
  return nodes;
}

/// A request to route.
inline core::RoutingRequestInfo request() {
  core::RoutingRequestInfo info;
  info.request_id = "req-1";
  info.model = "test-model";
  return info;
}

/// Expects creating plugin `name` with `options` to fail with kInvalidArgument and a message
/// containing `needle`.
inline void expect_rejected(const std::string& name, const core::PluginOptions& options,
                            const std::string& needle) {
  core::Result<std::unique_ptr<core::RoutingStrategy>> strategy = make_strategy(name, options);
  ASSERT_FALSE(strategy.ok()) << "options were accepted";
  EXPECT_EQ(strategy.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(strategy.status().message(), ::testing::HasSubstr(needle));
}

/// The sequence of `picks` choices on `nodes`. Fails the test (and stops) on the first failed
/// select.
inline std::vector<std::size_t> pick_sequence(core::RoutingStrategy& strategy,
                                              std::span<const core::RoutingNodeStats> nodes,
                                              std::size_t picks) {
  std::vector<std::size_t> sequence;
  const core::RoutingRequestInfo info = request();
  for (std::size_t i = 0; i < picks; ++i) {
    core::Result<std::size_t> chosen = strategy.select(info, nodes);
    if (!chosen.ok()) {
      ADD_FAILURE() << "select failed: " << chosen.status().message();
      break;
    }
    sequence.push_back(*chosen);
  }
  return sequence;
}

/// How often each index was chosen in `picks` selects on `nodes`.
inline std::vector<std::size_t> count_picks(core::RoutingStrategy& strategy,
                                            std::span<const core::RoutingNodeStats> nodes,
                                            std::size_t picks) {
  std::vector<std::size_t> counts(nodes.size(), 0);
  for (const std::size_t chosen : pick_sequence(strategy, nodes, picks)) {
    ++counts.at(chosen);
  }
  return counts;
}

/// Creates plugin `name` with `options`, failing the test (and returning null) if it cannot.
inline std::unique_ptr<core::RoutingStrategy> created(const std::string& name,
                                                      const core::PluginOptions& options) {
  auto strategy = make_strategy(name, options);
  EXPECT_TRUE(strategy.ok()) << strategy.status().message();
  return strategy.ok() ? std::move(strategy).value() : nullptr;
}

/// Expects every one of `picks` selects of plugin `name` on `nodes` to choose `expected`, for
/// several seeds, with `extra` options besides the seed.
inline void expect_always(const std::string& name, const std::vector<core::RoutingNodeStats>& nodes,
                          std::size_t expected, const core::PluginOptions& extra = {},
                          std::size_t picks = 200) {
  for (const char* seed : {"1", "2", "3"}) {
    core::PluginOptions options = extra;
    options.push_back(option("seed", seed));
    std::unique_ptr<core::RoutingStrategy> strategy = created(name, options);
    ASSERT_NE(strategy, nullptr);
    std::vector<std::size_t> want(nodes.size(), 0);
    want[expected] = picks;
    EXPECT_EQ(count_picks(*strategy, nodes, picks), want) << "seed " << seed;
  }
}

/// Pearson's chi-square statistic of `counts` against the probabilities `expected` (summing to 1).
inline double chi_square(const std::vector<std::size_t>& counts,
                         const std::vector<double>& expected) {
  std::size_t total = 0;
  for (const std::size_t count : counts) {
    total += count;
  }
  double statistic = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double want = expected.at(i) * static_cast<double>(total);
    const double diff = static_cast<double>(counts[i]) - want;
    statistic += diff * diff / want;
  }
  return statistic;
}

/// Upper 0.1% critical value of the chi-square distribution with `dof` degrees of freedom (1..9):
/// a correct strategy exceeds it with probability 0.001, so a fixed seed that passes is not luck
/// we depend on, while a wrong distribution over tens of thousands of picks exceeds it by orders
/// of magnitude.
inline double chi_square_critical_0_001(std::size_t dof) {
  static constexpr double kTable[] = {10.828, 13.816, 16.266, 18.467, 20.515,
                                      22.458, 24.322, 26.124, 27.877};
  return kTable[dof - 1];
}

/// Expects `counts` to follow `expected` by the chi-square test at the 0.1% level.
inline void expect_distribution(const std::vector<std::size_t>& counts,
                                const std::vector<double>& expected) {
  ASSERT_EQ(counts.size(), expected.size());
  ASSERT_GE(counts.size(), 2u);
  const double statistic = chi_square(counts, expected);
  EXPECT_LT(statistic, chi_square_critical_0_001(counts.size() - 1))
      << "pick counts do not follow the expected distribution";
}

/// Runs `threads` threads that each make `picks_per_thread` selects on the same `strategy` and
/// `nodes` at once; returns the summed pick counts. Every failed select fails the test.
inline std::vector<std::size_t> count_picks_concurrently(
    core::RoutingStrategy& strategy, std::span<const core::RoutingNodeStats> nodes,
    std::size_t threads, std::size_t picks_per_thread) {
  std::vector<std::vector<std::size_t>> per_thread(threads,
                                                   std::vector<std::size_t>(nodes.size(), 0));
  std::vector<std::size_t> failures(threads, 0);
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const core::RoutingRequestInfo info = request();
      for (std::size_t i = 0; i < picks_per_thread; ++i) {
        core::Result<std::size_t> chosen = strategy.select(info, nodes);
        if (!chosen.ok() || *chosen >= nodes.size()) {
          ++failures[t];
          continue;
        }
        ++per_thread[t][*chosen];
      }
    });
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  std::vector<std::size_t> counts(nodes.size(), 0);
  for (std::size_t t = 0; t < threads; ++t) {
    EXPECT_EQ(failures[t], 0u) << "thread " << t << " had failed selects";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      counts[i] += per_thread[t][i];
    }
  }
  return counts;
}

/// What a plugin's own select_fn answers for an empty candidate list, called through the raw C
/// vtable: the host's RoutingStrategy answers that case itself and never reaches the plugin.
struct RawSelectResult {
  disaggd_status status = DISAGGD_STATUS_OK;
  std::string message;
};

inline RawSelectResult raw_select_without_candidates(const std::string& name) {
  RawSelectResult result;
  core::PluginHost host({DISAGGD_TEST_PLUGIN_DIR});
  core::Result<std::shared_ptr<core::PluginLibrary>> library =
      host.load(core::PluginKind::kRouting, name);
  if (!library.ok()) {
    ADD_FAILURE() << library.status().message();
    result.status = DISAGGD_STATUS_INTERNAL;
    return result;
  }
  const auto* vtable = static_cast<const disaggd_routing_vtable*>((*library)->vtable());
  disaggd_string_sink sink{&result.message, [](void* text, const char* data, size_t size) {
                             static_cast<std::string*>(text)->append(data, size);
                           }};
  const disaggd_host_services services{sizeof(disaggd_host_services), nullptr, nullptr};
  disaggd_routing_instance* instance = nullptr;
  if (vtable->create_fn(nullptr, 0, &services, &instance, &sink) != DISAGGD_STATUS_OK) {
    ADD_FAILURE() << "create failed: " << result.message;
    result.status = DISAGGD_STATUS_INTERNAL;
    return result;
  }
  disaggd_routing_request abi_request{};
  abi_request.struct_size = sizeof(disaggd_routing_request);
  abi_request.role = DISAGGD_NODE_ROLE_HYBRID;
  std::size_t chosen = 12345;
  result.status = vtable->select_fn(instance, &abi_request, nullptr, 0, &chosen, &sink);
  vtable->destroy_fn(instance);
  return result;
}

/// Uniform probabilities over `n` nodes.
inline std::vector<double> uniform(std::size_t n) {
  return std::vector<double>(n, 1.0 / static_cast<double>(n));
}

}  // namespace disaggd::test
