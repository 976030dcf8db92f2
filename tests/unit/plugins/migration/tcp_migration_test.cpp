// The tcp migration plugin through core::MigrationBackend, two instances in one process over real
// loopback sockets: bytes land exactly where asked and nowhere else, large transfers, tokens,
// ranges out of bounds, a restarted listener, a listener that hangs, release while bytes are on
// the way, and reads from several threads. No assertion depends on timing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <numeric>

#include "migration_test_support.h"

namespace disaggd::test {
namespace {

using core::StatusCode;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::size_t kMiB = 1 << 20;

/// Disjoint random ranges covering about half of `bytes` on the local side, each read from a
/// random offset of the remote region; unaligned offsets and lengths.
std::vector<disaggd_migration_read_op> random_ops(const Side& remote, const Side& local,
                                                  std::size_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<disaggd_migration_read_op> ops;
  const uint64_t slot = local.memory.size() / count;
  for (std::size_t i = 0; i < count; ++i) {
    const uint64_t length = 1 + random() % (slot / 2);
    const uint64_t local_offset = i * slot + random() % (slot - length);
    const uint64_t remote_offset = random() % (remote.memory.size() - length);
    ops.push_back({remote.region, remote_offset, local.region, local_offset, length});
  }
  std::shuffle(ops.begin(), ops.end(), random);
  return ops;
}

/// What `local` must hold after `ops` landed, starting from all zeros.
std::vector<uint8_t> expected_after(const Side& remote, std::size_t local_bytes,
                                    const std::vector<disaggd_migration_read_op>& ops) {
  std::vector<uint8_t> expected(local_bytes, 0);
  for (const auto& op : ops) {
    std::copy_n(remote.memory.begin() + static_cast<std::ptrdiff_t>(op.remote_offset), op.length,
                expected.begin() + static_cast<std::ptrdiff_t>(op.local_offset));
  }
  return expected;
}

core::MigrationPeer* connect(Side& local, const Side& remote) {
  auto endpoint = remote.backend->local_endpoint();
  EXPECT_TRUE(endpoint.ok()) << endpoint.status().message();
  auto peer = local.backend->connect(*endpoint, 5s);
  EXPECT_TRUE(peer.ok()) << peer.status().message();
  return peer.ok() ? *peer : nullptr;
}

bool all_zero(const std::vector<uint8_t>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

TEST(TcpMigrationTest, EndpointDescribesListenerEpochAndRegions) {
  Side side = make_side(4096, 1);
  ASSERT_NE(side.backend, nullptr);
  EXPECT_EQ(side.backend->info().name, "tcp");
  const auto json = nlohmann::json::parse(*side.backend->local_endpoint());
  EXPECT_EQ(json["plugin"], "tcp");
  EXPECT_EQ(json["addresses"], nlohmann::json::array({"127.0.0.1"}));
  EXPECT_GT(json["port"].get<int>(), 0);
  EXPECT_EQ(json["epoch"].get<std::string>().size(), 16u);
  ASSERT_EQ(json["regions"].size(), 1u);
  EXPECT_EQ(json["regions"][0]["id"], side.region);
  EXPECT_EQ(json["regions"][0]["length"], 4096);

  Side other = make_side(4096, 1);
  EXPECT_NE(nlohmann::json::parse(*other.backend->local_endpoint())["epoch"], json["epoch"]);
}

TEST(TcpMigrationTest, RandomUnalignedRangesLandExactlyAndNothingElseIsWritten) {
  Side prefill = make_side(8 * kMiB, 11);
  Side decode = make_side(8 * kMiB, 0);
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  const auto ops = random_ops(prefill, decode, 300, 5);
  ASSERT_TRUE(read_and_wait(*decode.backend, peer, ops).ok());
  EXPECT_TRUE(decode.memory == expected_after(prefill, decode.memory.size(), ops));
}

TEST(TcpMigrationTest, ContiguousRangesAreCoalescedAndLand) {
  Side prefill = make_side(4 * kMiB, 12);
  Side decode = make_side(4 * kMiB, 0);
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  // 1000 ranges of 4 KiB, contiguous on both sides and given in reverse order, plus a shifted copy.
  std::vector<disaggd_migration_read_op> ops;
  for (uint64_t i = 0; i < 1000; ++i) {
    ops.push_back({prefill.region, 4096 * (999 - i) + 3, decode.region, 4096 * (999 - i), 4096});
  }
  ASSERT_TRUE(read_and_wait(*decode.backend, peer, ops).ok());
  EXPECT_TRUE(decode.memory == expected_after(prefill, decode.memory.size(), ops));
}

TEST(TcpMigrationTest, LargeTransferOverSeveralConnectionsLands) {
  Side prefill = make_side(64 * kMiB, 13, {option("connections_per_peer", "4")});
  Side decode = make_side(64 * kMiB, 0, {option("connections_per_peer", "4")});
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  const std::vector<disaggd_migration_read_op> ops = {
      {prefill.region, 0, decode.region, 0, 64 * kMiB}};
  ASSERT_TRUE(read_and_wait(*decode.backend, peer, ops).ok());
  EXPECT_TRUE(decode.memory == prefill.memory);
}

TEST(TcpMigrationTest, TokenMustMatch) {
  Side prefill = make_side(4096, 14, {option("token", "s3cret")});
  const std::string endpoint = *prefill.backend->local_endpoint();
  for (const auto& token : {std::string("wrong"), std::string("")}) {
    core::PluginOptions options;
    if (!token.empty()) {
      options.push_back(option("token", token));
    }
    Side decode = make_side(4096, 0, options);
    auto peer = decode.backend->connect(endpoint, 5s);
    ASSERT_FALSE(peer.ok()) << "token '" << token << "' was accepted";
    EXPECT_EQ(peer.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(peer.status().message(), HasSubstr("token refused"));
  }
  Side decode = make_side(4096, 0, {option("token", "s3cret")});
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(
      read_and_wait(*decode.backend, peer, {{prefill.region, 0, decode.region, 0, 4096}}).ok());
  EXPECT_TRUE(decode.memory == prefill.memory);
}

TEST(TcpMigrationTest, RangesOutsideRegionsAreRefusedAndNothingIsWritten) {
  Side prefill = make_side(kMiB, 15);
  Side decode = make_side(kMiB, 0);
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  const disaggd_migration_read_op good = {prefill.region, 0, decode.region, 0, 4096};
  auto with = [&](auto change) {
    disaggd_migration_read_op op = good;
    change(op);
    return std::vector<disaggd_migration_read_op>{good, op};
  };
  const std::vector<std::vector<disaggd_migration_read_op>> bad = {
      with([](auto& op) { op.remote_offset = kMiB - 100; }),
      with([](auto& op) { op.local_offset = kMiB - 100; }),
      with([](auto& op) { op.remote_offset = UINT64_MAX - 10; }),
      with([](auto& op) { op.remote_region = 999; }),
      with([](auto& op) { op.local_region = 999; }),
      with([](auto& op) { op.length = 0; }),
  };
  for (const auto& ops : bad) {
    auto transfer = decode.backend->read(peer, ops, 5s);
    ASSERT_FALSE(transfer.ok());
    EXPECT_EQ(transfer.status().code(), StatusCode::kInvalidArgument)
        << transfer.status().message();
  }
  EXPECT_TRUE(all_zero(decode.memory));
}

TEST(TcpMigrationTest, ListenerRefusesRegionDeregisteredAfterTheEndpoint) {
  Side prefill = make_side(kMiB, 16);
  Side decode = make_side(kMiB, 0);
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(prefill.backend->deregister_region(prefill.region).ok());
  const core::Status status =
      read_and_wait(*decode.backend, peer, {{prefill.region, 0, decode.region, 0, 4096}});
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.message();
  EXPECT_THAT(status.message(), HasSubstr("not registered"));
  EXPECT_TRUE(all_zero(decode.memory));
  // The connection still serves the next read.
  const uint64_t again =
      *prefill.backend->register_region(prefill.memory.data(), kMiB, DISAGGD_MEMORY_HOST, -1);
  core::MigrationPeer* fresh = connect(decode, prefill);
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(read_and_wait(*decode.backend, fresh, {{again, 0, decode.region, 0, 4096}}).ok());
}

TEST(TcpMigrationTest, DestinationOfAnUnreleasedTransferCannotBeDeregistered) {
  Side prefill = make_side(kMiB, 17);
  Side decode = make_side(kMiB, 0);
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  auto transfer = decode.backend->read(peer, {{{prefill.region, 0, decode.region, 0, kMiB}}}, 5s);
  ASSERT_TRUE(transfer.ok());
  EXPECT_EQ(decode.backend->deregister_region(decode.region).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(wait_for(*decode.backend, *transfer).ok());
  decode.backend->release(*transfer);
  EXPECT_TRUE(decode.backend->deregister_region(decode.region).ok());
  EXPECT_EQ(decode.backend->deregister_region(decode.region).code(), StatusCode::kNotFound);
}

TEST(TcpMigrationTest, RestartedListenerInvalidatesOldPeersAndEndpoints) {
  Side prefill = make_side(kMiB, 18);
  Side decode = make_side(kMiB, 0);
  const std::string old_endpoint = *prefill.backend->local_endpoint();
  const uint16_t port = nlohmann::json::parse(old_endpoint)["port"];
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  const std::vector<disaggd_migration_read_op> ops = {{prefill.region, 0, decode.region, 0, 4096}};
  ASSERT_TRUE(read_and_wait(*decode.backend, peer, ops).ok());

  prefill.backend.reset();  // The prefill process ends...
  Side restarted = make_side(kMiB, 19, {option("port", std::to_string(port))});  // ...and returns.
  ASSERT_NE(restarted.backend, nullptr);
  const std::string new_endpoint = *restarted.backend->local_endpoint();
  ASSERT_NE(new_endpoint, old_endpoint);

  const core::Status old_peer = read_and_wait(*decode.backend, peer, ops);
  EXPECT_EQ(old_peer.code(), StatusCode::kUnavailable) << old_peer.message();
  EXPECT_THAT(old_peer.message(), HasSubstr("disconnected"));
  auto stale = decode.backend->connect(old_endpoint, 5s);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(stale.status().message(), HasSubstr("restarted"));

  auto fresh = decode.backend->connect(new_endpoint, 5s);
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  ASSERT_TRUE(read_and_wait(*decode.backend, *fresh, ops).ok());
  EXPECT_TRUE(
      std::equal(decode.memory.begin(), decode.memory.begin() + 4096, restarted.memory.begin()));
}

TEST(TcpMigrationTest, ConnectTimesOutOnAListenerThatNeverAnswers) {
  migration_tcp::Fd silent = migration_tcp::listen_on("127.0.0.1", 0);  // Never accepts.
  Side prefill = make_side(4096, 20);
  Side decode = make_side(4096, 0);
  const std::string endpoint =
      with_port(*prefill.backend->local_endpoint(), migration_tcp::bound_port(silent.get()));
  auto peer = decode.backend->connect(endpoint, 200ms);
  ASSERT_FALSE(peer.ok());
  EXPECT_EQ(peer.status().code(), StatusCode::kTimeout) << peer.status().message();
}

/// A prefill side reached through a Forwarder, one connection per peer.
struct ForwardedPair {
  Side prefill = make_side(16 * kMiB, 21);
  Side decode = make_side(16 * kMiB, 0,
                          {option("connections_per_peer", "1"), option("io_timeout_ms", "500")});
  Forwarder forwarder{static_cast<uint16_t>(
      nlohmann::json::parse(*prefill.backend->local_endpoint())["port"].get<int>())};
  core::MigrationPeer* peer = nullptr;

  ForwardedPair() {
    auto connected = decode.backend->connect(
        with_port(*prefill.backend->local_endpoint(), forwarder.port()), 5s);
    EXPECT_TRUE(connected.ok()) << connected.status().message();
    peer = connected.ok() ? *connected : nullptr;
  }
  std::vector<disaggd_migration_read_op> everything() const {
    return {{prefill.region, 0, decode.region, 0, 16 * kMiB}};
  }
};

TEST(TcpMigrationTest, TransferTimesOutWhenTheListenerHangs) {
  ForwardedPair pair;
  ASSERT_NE(pair.peer, nullptr);
  pair.forwarder.freeze(true);
  const core::Status status =
      read_and_wait(*pair.decode.backend, pair.peer, pair.everything(), 300ms);
  EXPECT_EQ(status.code(), StatusCode::kTimeout) << status.message();
}

TEST(TcpMigrationTest, ReleaseCancelsAndNothingIsWrittenAfterwards) {
  ForwardedPair pair;
  ASSERT_NE(pair.peer, nullptr);
  pair.forwarder.freeze(true);
  auto transfer = pair.decode.backend->read(pair.peer, pair.everything(), 10s);
  ASSERT_TRUE(transfer.ok());
  EXPECT_FALSE(*pair.decode.backend->poll(*transfer));
  pair.decode.backend->release(*transfer);
  pair.forwarder.freeze(false);  // The bytes now arrive, and must go nowhere.
  // A later read on the same peer is answered after the cancelled one, so once it is done every
  // byte of the cancelled one went by.
  std::vector<uint8_t> expected(pair.decode.memory.size(), 0);
  const std::vector<disaggd_migration_read_op> small = {
      {pair.prefill.region, 0, pair.decode.region, 0, 4096}};
  ASSERT_TRUE(read_and_wait(*pair.decode.backend, pair.peer, small).ok());
  std::copy_n(pair.prefill.memory.begin(), 4096, expected.begin());
  EXPECT_TRUE(pair.decode.memory == expected);
}

TEST(TcpMigrationTest, ConcurrentReadsFromSeveralThreads) {
  Side prefill = make_side(16 * kMiB, 22);
  Side decode = make_side(16 * kMiB, 0);
  core::MigrationPeer* peer = connect(decode, prefill);
  ASSERT_NE(peer, nullptr);
  constexpr int kThreads = 4;
  constexpr uint64_t kShare = 4 * kMiB;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 16; ++i) {
        // Thread t fills its quarter in 16 steps of 256 KiB, each in two unaligned ranges.
        const uint64_t base = t * kShare + i * (kShare / 16);
        const uint64_t cut = 1000 + i * 7;
        const uint64_t source = (i * 977 + t * 131) % (prefill.memory.size() - kShare / 16);
        const std::vector<disaggd_migration_read_op> ops = {
            {prefill.region, source, decode.region, base, cut},
            {prefill.region, source + cut, decode.region, base + cut, kShare / 16 - cut}};
        if (!read_and_wait(*decode.backend, peer, ops).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures, 0);
  for (int t = 0; t < kThreads; ++t) {
    for (uint64_t i = 0; i < 16; ++i) {
      const uint64_t base = t * kShare + i * (kShare / 16);
      const uint64_t source = (i * 977 + t * 131) % (prefill.memory.size() - kShare / 16);
      ASSERT_TRUE(std::equal(decode.memory.begin() + base,
                             decode.memory.begin() + base + kShare / 16,
                             prefill.memory.begin() + source))
          << "thread " << t << " step " << i;
    }
  }
}

TEST(TcpMigrationTest, OptionsAreTypedAndUnknownOnesRefused) {
  auto typo = create_tcp({option("prot", "0")});
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(typo.status().message(), HasSubstr("did you mean 'port'"));
  auto wrong_type = create_tcp({option("connections_per_peer", "many")});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(wrong_type.status().message(), HasSubstr("connections_per_peer"));
  auto anywhere = create_tcp({option("host", "0.0.0.0")});
  ASSERT_FALSE(anywhere.ok());
  EXPECT_THAT(anywhere.status().message(), HasSubstr("advertise_host"));

  Side side = make_side(4096, 0);
  std::vector<uint8_t> memory(64);
  auto cuda = side.backend->register_region(memory.data(), memory.size(), DISAGGD_MEMORY_CUDA, 0);
  ASSERT_FALSE(cuda.ok());
  EXPECT_EQ(cuda.status().code(), StatusCode::kUnsupported);
}

TEST(TcpMigrationTest, SecondListenerOnAPortInUseFails) {
  Side first = make_side(4096, 0);
  const int port = nlohmann::json::parse(*first.backend->local_endpoint())["port"];
  auto second = create_tcp({option("port", std::to_string(port))});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen on 127.0.0.1:"));
}

}  // namespace
}  // namespace disaggd::test
