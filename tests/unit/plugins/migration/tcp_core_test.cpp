// The tcp migration plugin's pure parts, linked directly: coalescing and splitting of reads,
// frames, endpoints, epochs and the constant-time token check.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "disaggd/sdk/error.hpp"
#include "endpoint.h"
#include "epoch.h"
#include "handshake.h"
#include "read_plan.h"
#include "wire_format.h"

namespace disaggd::migration_tcp {
namespace {

uint64_t total(const std::vector<ReadRange>& ranges) {
  uint64_t sum = 0;
  for (const auto& range : ranges) {
    sum += range.length;
  }
  return sum;
}

TEST(ReadPlanTest, MergesRangesContiguousOnBothSidesWhateverTheirOrder) {
  const std::vector<ReadRange> ops = {{1, 200, 2, 1200, 100},
                                      {1, 0, 2, 1000, 100},
                                      {1, 100, 2, 1100, 100},   // one run
                                      {1, 300, 2, 5000, 100},   // local gap
                                      {3, 400, 2, 5100, 100}};  // other region
  const std::vector<ReadRange> merged = coalesce(ops.data(), ops.size());
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].remote_offset, 0u);
  EXPECT_EQ(merged[0].local_offset, 1000u);
  EXPECT_EQ(merged[0].length, 300u);
  EXPECT_EQ(merged[1].local_offset, 5000u);
  EXPECT_EQ(merged[2].remote_region, 3u);
}

TEST(ReadPlanTest, SplitsLargeReadsEvenlyOverConnectionsAndKeepsSmallOnesWhole) {
  SplitLimits limits;
  limits.connections = 4;
  const std::vector<ReadRange> large = {{1, 0, 2, 0, 64 << 20}};
  const auto pieces = split(large, limits);
  ASSERT_EQ(pieces.size(), 4u);
  uint64_t expected_local = 0;
  for (const auto& piece : pieces) {
    EXPECT_EQ(total(piece), uint64_t{16} << 20);
    EXPECT_EQ(piece.front().local_offset, expected_local);
    EXPECT_EQ(piece.front().remote_offset, expected_local);
    expected_local += total(piece);
  }
  EXPECT_EQ(split({{1, 0, 2, 0, 64 << 10}}, limits).size(), 1u);
  EXPECT_EQ(split({{1, 0, 2, 0, 600 << 10}}, limits).size(), 2u);
}

TEST(ReadPlanTest, CapsPiecesByBytesAndRanges) {
  SplitLimits limits;
  limits.connections = 2;
  limits.max_piece_bytes = 1 << 20;
  limits.max_piece_ranges = 3;
  EXPECT_EQ(split({{1, 0, 2, 0, 10 << 20}}, limits).size(), 10u);
  std::vector<ReadRange> many;
  for (uint64_t i = 0; i < 10; ++i) {
    many.push_back({1, i * 100, 2, i * 200, 50});
  }
  const auto pieces = split(many, limits);
  ASSERT_EQ(pieces.size(), 4u);
  for (const auto& piece : pieces) {
    EXPECT_LE(piece.size(), 3u);
  }
}

TEST(WireFormatTest, FramesAndRangesRoundTripAndUnknownMagicIsRejected) {
  const Frame frame{FrameType::kResponse, 7, 0x0102030405060708ULL, 99};
  const FrameBytes bytes = encode_frame(frame);
  EXPECT_EQ(bytes[8], 0x08);  // Little-endian on the wire.
  Frame decoded;
  ASSERT_TRUE(decode_frame(bytes.data(), &decoded));
  EXPECT_EQ(decoded.type, FrameType::kResponse);
  EXPECT_EQ(decoded.a, 7u);
  EXPECT_EQ(decoded.b, frame.b);
  EXPECT_EQ(decoded.c, 99u);
  FrameBytes garbage{};
  EXPECT_FALSE(decode_frame(garbage.data(), &decoded));
  uint8_t range_bytes[kRangeBytes];
  encode_range(WireRange{3, 4, 5}, range_bytes);
  const WireRange range = decode_range(range_bytes);
  EXPECT_EQ(range.region, 3u);
  EXPECT_EQ(range.offset, 4u);
  EXPECT_EQ(range.length, 5u);
}

TEST(EndpointTest, RoundTripsAndNamesWhatIsWrong) {
  Endpoint endpoint;
  endpoint.addresses = {"10.0.0.5", "::1"};
  endpoint.port = 4242;
  endpoint.epoch = 0xdeadbeef00112233ULL;
  endpoint.regions = {{1, 4096}, {7, 1ULL << 40}};
  const Endpoint parsed = parse_endpoint(endpoint_to_json(endpoint));
  EXPECT_EQ(parsed.addresses, endpoint.addresses);
  EXPECT_EQ(parsed.port, 4242);
  EXPECT_EQ(parsed.epoch, endpoint.epoch);
  EXPECT_EQ(parsed.regions, endpoint.regions);
  for (
      const char* bad :
      {"", "[]", R"({"plugin": "rdma"})",
       R"({"plugin": "tcp", "protocol": 1, "addresses": [], "port": 1, "epoch": "0000000000000001", "regions": []})",
       R"({"plugin": "tcp", "protocol": 1, "addresses": ["a"], "port": 1, "epoch": "xyz", "regions": []})"}) {
    try {
      parse_endpoint(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.status(), DISAGGD_STATUS_INVALID_ARGUMENT);
      EXPECT_THAT(e.what(), ::testing::HasSubstr("bad tcp migration endpoint"));
    }
  }
}

TEST(EpochTest, TextRoundTripsAndNewEpochsDiffer) {
  const uint64_t a = new_epoch();
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, new_epoch());
  EXPECT_EQ(parse_epoch(epoch_text(a)), a);
  EXPECT_EQ(epoch_text(0xab), "00000000000000ab");
  EXPECT_FALSE(parse_epoch("00000000000000AB"));
  EXPECT_FALSE(parse_epoch("ab"));
}

TEST(HandshakeTest, TokenComparisonNeedsEqualLengthAndBytes) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace disaggd::migration_tcp
