// disaggd-migration-bench: throughput and latency of a migration plugin (default `tcp`) between
// two instances in this process over loopback, through the host path the daemon uses
// (PluginHost, core::MigrationBackend, the migration ABI), next to raw loopback TCP measured the
// same way in the same run.
//
//   disaggd-migration-bench [--plugin tcp] [--plugin-dir DIR] [--connections 1,4]
//       [--seconds 2] [--max-tokens 16384]
//
// Cases: a Qwen3-8B KV cache (36 layers, 8 KV heads, head_dim 128, bf16, 16-token blocks) for
// prompts of 1k, 4k and 16k tokens, in disaggd's block-major pool (one 2.25 MiB range per block)
// and in a layer-major pool as LMDeploy and vLLM keep it (one 64 KiB range per layer and block),
// with blocks contiguous or scattered on both sides; then plain blocks of 64 KiB and 1 MiB in
// batches of 1, 32 and 128 (Mooncake's transfer_engine_bench shape). Each case repeats for
// --seconds (3 runs at least); GB/s = bytes / total time (GB = 1e9 B), latency = median time
// from read() to the poll that reports it done; "of raw" relates GB/s to raw loopback TCP measured
// in this process just before each group of cases. Prints a Markdown table.
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_cli.h"
#include "core/logging/logging.h"
#include "core/plugins/migration_backend.h"
#include "core/plugins/plugin_host.h"

namespace {

using Clock = std::chrono::steady_clock;
using disaggd::core::MigrationBackend;
using disaggd::core::MigrationPeer;
using disaggd::core::PluginOption;
using Ops = std::vector<disaggd_migration_read_op>;

// Qwen3-8B: 36 layers, 8 KV heads of dim 128, bf16; blocks of 16 tokens.
constexpr uint64_t kLayers = 36;
constexpr uint64_t kBlockTokens = 16;
constexpr uint64_t kLayerBlockBytes = 2 * kBlockTokens * 8 * 128 * 2;  // K and V: 64 KiB.
constexpr uint64_t kBlockBytes = kLayers * kLayerBlockBytes;           // 2.25 MiB.

struct Args {
  std::string plugin = "tcp";
  std::string plugin_dir;
  std::vector<int> connections = {1, 4};
  double seconds = 2.0;
  uint64_t max_tokens = 16384;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "disaggd-migration-bench: " << problem
            << "\nusage: disaggd-migration-bench [--plugin tcp] [--plugin-dir DIR] "
               "[--connections 1,4] [--seconds 2] [--max-tokens 16384]\n";
  std::exit(64);
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      usage(flag + " needs a value");
    }
    const std::string value = argv[++i];
    if (flag == "--plugin") {
      args.plugin = value;
    } else if (flag == "--plugin-dir") {
      args.plugin_dir = value;
    } else if (flag == "--connections") {
      args.connections = disaggd::bench::comma_separated_ints(value);
    } else if (flag == "--seconds") {
      args.seconds = std::stod(value);
    } else if (flag == "--max-tokens") {
      args.max_tokens = std::stoull(value);
    } else {
      usage("unknown flag " + flag);
    }
  }
  return args;
}

template <class T>
T check(disaggd::core::Result<T> result) {
  if (!result.ok()) {
    std::cerr << "disaggd-migration-bench: " << result.status().message() << "\n";
    std::exit(1);
  }
  return std::move(result).value();
}

/// Page-touched memory; the source is filled with a pattern that differs in every 8 bytes.
struct Pool {
  explicit Pool(uint64_t bytes, bool pattern) : size(bytes), data(new uint8_t[bytes]) {
    if (!pattern) {
      std::memset(data.get(), 0, bytes);
      return;
    }
    for (uint64_t i = 0; i + 8 <= bytes; i += 8) {
      const uint64_t word = i * 0x9e3779b97f4a7c15ULL;
      std::memcpy(data.get() + i, &word, 8);
    }
  }
  uint64_t size;
  std::unique_ptr<uint8_t[]> data;
};

/// One side: an instance of the plugin and its pool registered.
struct Side {
  std::unique_ptr<MigrationBackend> backend;
  uint64_t region = 0;
};

Side make_side(const std::shared_ptr<disaggd::core::PluginLibrary>& library, Pool& pool,
               int connections) {
  Side side;
  side.backend = check(MigrationBackend::create(
      library,
      {PluginOption::from_scalar("connections_per_peer", std::to_string(connections), false)}));
  side.region =
      check(side.backend->register_region(pool.data.get(), pool.size, DISAGGD_MEMORY_HOST, -1));
  return side;
}

/// Polls until done: spins (yielding) for 20 µs, then sleeps 20 µs between polls.
void wait_done(MigrationBackend& backend, disaggd::core::MigrationTransfer* transfer) {
  const auto spin_until = Clock::now() + std::chrono::microseconds(20);
  while (!check(backend.poll(transfer))) {
    if (Clock::now() < spin_until) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }
}

struct Measured {
  double gb_per_s = 0;
  double median_ms = 0;
  int runs = 0;
};

/// Runs `ops` until `seconds` passed (3 runs at least) after one checked warm-up run.
Measured measure(Side& decode, MigrationPeer* peer, const Ops& ops, const Pool& source,
                 const Pool& destination, double seconds) {
  uint64_t bytes = 0;
  for (const auto& op : ops) {
    bytes += op.length;
  }
  auto run_once = [&] {
    const auto start = Clock::now();
    auto* transfer = check(decode.backend->read(peer, ops, std::chrono::minutes(5)));
    wait_done(*decode.backend, transfer);
    const auto elapsed = Clock::now() - start;
    decode.backend->release(transfer);
    return std::chrono::duration<double>(elapsed).count();
  };
  run_once();
  for (const auto& op : ops) {
    if (std::memcmp(source.data.get() + op.remote_offset, destination.data.get() + op.local_offset,
                    op.length) != 0) {
      std::cerr << "disaggd-migration-bench: bytes differ after a read\n";
      std::exit(1);
    }
  }
  std::vector<double> times;
  double total = 0;
  while (times.size() < 3 || total < seconds) {
    times.push_back(run_once());
    total += times.back();
  }
  std::sort(times.begin(), times.end());
  return Measured{static_cast<double>(bytes) * static_cast<double>(times.size()) / total / 1e9,
                  times[times.size() / 2] * 1e3, static_cast<int>(times.size())};
}

/// Raw loopback TCP in this process: one thread sends 1 MiB buffers, one receives, for `seconds`.
double raw_loopback_gb_per_s(double seconds) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("raw loopback");
    std::exit(1);
  }
  int sender = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(sender, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    std::perror("raw loopback");
    std::exit(1);
  }
  const int receiver = accept(listener, nullptr, nullptr);
  std::vector<uint8_t> out(1 << 20, 1);
  std::vector<uint8_t> in(1 << 20);
  uint64_t received = 0;
  std::thread reader([&] {
    ssize_t n = 0;
    while ((n = recv(receiver, in.data(), in.size(), 0)) > 0) {
      received += static_cast<uint64_t>(n);
    }
  });
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    for (std::size_t sent = 0; sent < out.size();) {
      const ssize_t n = send(sender, out.data() + sent, out.size() - sent, 0);
      sent += static_cast<std::size_t>(std::max<ssize_t>(n, 0));
    }
  }
  shutdown(sender, SHUT_WR);
  reader.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  close(sender);
  close(receiver);
  close(listener);
  return static_cast<double>(received) / elapsed / 1e9;
}

/// `count` distinct indices below `range`, shuffled (seeded: every run reads the same layout).
std::vector<uint64_t> scattered(uint64_t count, uint64_t range, uint64_t seed) {
  std::vector<uint64_t> all(range);
  std::iota(all.begin(), all.end(), 0);
  std::mt19937_64 random(seed);
  std::shuffle(all.begin(), all.end(), random);
  all.resize(count);
  return all;
}

std::vector<uint64_t> contiguous(uint64_t count) {
  std::vector<uint64_t> all(count);
  std::iota(all.begin(), all.end(), 0);
  return all;
}

/// Block-major pool: block b is one range of kBlockBytes at b * kBlockBytes.
Ops block_major(const Side& prefill, const Side& decode, const std::vector<uint64_t>& from,
                const std::vector<uint64_t>& to) {
  Ops ops;
  for (std::size_t i = 0; i < from.size(); ++i) {
    ops.push_back(
        {prefill.region, from[i] * kBlockBytes, decode.region, to[i] * kBlockBytes, kBlockBytes});
  }
  return ops;
}

/// Layer-major pool of `pool_blocks` blocks: (layer l, block b) is 64 KiB at
/// (l * pool_blocks + b) * 64 KiB.
Ops layer_major(const Side& prefill, const Side& decode, const std::vector<uint64_t>& from,
                const std::vector<uint64_t>& to, uint64_t pool_blocks) {
  Ops ops;
  for (uint64_t layer = 0; layer < kLayers; ++layer) {
    for (std::size_t i = 0; i < from.size(); ++i) {
      ops.push_back({prefill.region, (layer * pool_blocks + from[i]) * kLayerBlockBytes,
                     decode.region, (layer * pool_blocks + to[i]) * kLayerBlockBytes,
                     kLayerBlockBytes});
    }
  }
  return ops;
}

/// `batch` blocks of `block` bytes at scattered places of both pools.
Ops plain_blocks(const Side& prefill, const Side& decode, uint64_t block, uint64_t batch,
                 uint64_t pool_bytes) {
  const auto from = scattered(batch, pool_bytes / block, 7);
  const auto to = scattered(batch, pool_bytes / block, 8);
  Ops ops;
  for (uint64_t i = 0; i < batch; ++i) {
    ops.push_back({prefill.region, from[i] * block, decode.region, to[i] * block, block});
  }
  return ops;
}

void print_row(const std::string& label, uint64_t bytes, std::size_t ops, int connections,
               const Measured& m, double raw) {
  std::printf("| %s | %.1f MiB | %zu | %d | %.2f | %.0f%% | %.3f | %d |\n", label.c_str(),
              static_cast<double>(bytes) / (1 << 20), ops, connections, m.gb_per_s,
              100.0 * m.gb_per_s / raw, m.median_ms, m.runs);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  disaggd::core::init_logging(disaggd::core::LogLevel::kWarn);
  prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 µs: the 20 µs poll sleeps stay 20 µs.
  std::vector<std::filesystem::path> dirs;
  if (!args.plugin_dir.empty()) {
    dirs.push_back(args.plugin_dir);
  }
  dirs.push_back(std::filesystem::read_symlink("/proc/self/exe").parent_path() / ".." / "lib" /
                 "disaggd" / "plugins");
  disaggd::core::PluginHost host(dirs);
  auto library = check(host.load(disaggd::core::PluginKind::kMigration, args.plugin));

  const uint64_t pool_blocks = std::max<uint64_t>(args.max_tokens / kBlockTokens, 64);
  std::printf(
      "## setup\nplugin %s, Qwen3-8B KV (36 layers x 8 KV heads x 128, bf16, %llu-token "
      "blocks: %llu B per block, %llu B per layer and block), pools of %llu blocks "
      "(%.2f GiB each side)\n",
      args.plugin.c_str(), static_cast<unsigned long long>(kBlockTokens),
      static_cast<unsigned long long>(kBlockBytes),
      static_cast<unsigned long long>(kLayerBlockBytes),
      static_cast<unsigned long long>(pool_blocks),
      static_cast<double>(pool_blocks * kBlockBytes) / (1 << 30));
  Pool source(pool_blocks * kBlockBytes, true);
  Pool destination(pool_blocks * kBlockBytes, false);

  std::printf(
      "\n## results\n| case | bytes | ops | connections | GB/s | of raw | median ms per "
      "migration | runs |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const int connections : args.connections) {
    // Measured again before every group: on a shared machine the ceiling moves within minutes.
    const double raw = raw_loopback_gb_per_s(args.seconds);
    std::printf(
        "| raw loopback TCP (1 stream, 1 MiB send/recv, this process) | | | | %.2f | 100%% "
        "| | |\n",
        raw);
    Side prefill = make_side(library, source, connections);
    Side decode = make_side(library, destination, connections);
    const std::string endpoint = check(prefill.backend->local_endpoint());
    std::vector<double> connect_ms;
    for (int i = 0; i < 10; ++i) {
      const auto start = Clock::now();
      MigrationPeer* peer = check(decode.backend->connect(endpoint, std::chrono::seconds(5)));
      connect_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      decode.backend->disconnect(peer);
    }
    std::sort(connect_ms.begin(), connect_ms.end());
    MigrationPeer* peer = check(decode.backend->connect(endpoint, std::chrono::seconds(5)));
    std::printf("| connect (once per peer, %d connections) | | | %d | | | %.3f | 10 |\n",
                connections, connections, connect_ms[5]);

    for (const uint64_t tokens : {1024ULL, 4096ULL, 16384ULL}) {
      if (tokens > args.max_tokens) {
        continue;
      }
      const uint64_t blocks = tokens / kBlockTokens;
      const auto from = scattered(blocks, pool_blocks, 1);
      const auto to = scattered(blocks, pool_blocks, 2);
      const auto straight = contiguous(blocks);
      const std::string prompt = std::to_string(tokens / 1024) + "k tokens";
      const struct {
        std::string label;
        Ops ops;
      } cases[] = {
          {prompt + ", block-major, contiguous", block_major(prefill, decode, straight, straight)},
          {prompt + ", block-major, scattered", block_major(prefill, decode, from, to)},
          {prompt + ", layer-major 64 KiB, contiguous",
           layer_major(prefill, decode, straight, straight, pool_blocks)},
          {prompt + ", layer-major 64 KiB, scattered",
           layer_major(prefill, decode, from, to, pool_blocks)},
      };
      for (const auto& c : cases) {
        print_row(c.label, blocks * kBlockBytes, c.ops.size(), connections,
                  measure(decode, peer, c.ops, source, destination, args.seconds), raw);
      }
    }
    for (const uint64_t block : {uint64_t{64} << 10, uint64_t{1} << 20}) {
      for (const uint64_t batch : {1, 32, 128}) {
        const Ops ops = plain_blocks(prefill, decode, block, batch, source.size);
        print_row(std::to_string(block >> 10) + " KiB x " + std::to_string(batch) + ", scattered",
                  block * batch, ops.size(), connections,
                  measure(decode, peer, ops, source, destination, args.seconds), raw);
      }
    }
    decode.backend->disconnect(peer);
  }
  std::printf("| raw loopback TCP, after | | | | %.2f | | | |\n",
              raw_loopback_gb_per_s(args.seconds));
  return 0;
}
