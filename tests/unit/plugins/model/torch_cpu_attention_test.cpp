// cpu_attention, the torch backend's paged attention on the CPU, against a float64 reference on
// the same (float32 or bfloat16) pool contents: scattered blocks, several sequences in one call,
// decode tokens, prompt chunks that start mid-block and span several query chunks, grouped-query
// heads, head sizes that exercise every column path of the kernels, on every instruction set.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "cpu_attention.h"
#include "cpu_kernel_test_support.h"

namespace disaggd::torch_backend {
namespace {

using cpu::Isa;

constexpr int64_t kLayers = 2;
constexpr int64_t kBlockSize = 4;
constexpr int64_t kBlocks = 40;

/// One sequence of the batch: its tokens, start position and (scattered) blocks.
struct Sequence {
  int64_t tokens;
  int64_t start;
  std::vector<int32_t> blocks;
};

/// softmax(q kᵀ / sqrt(d), causal) v in float64, keys and values read from the pool as stored.
at::Tensor reference(const at::Tensor& q, const std::vector<Sequence>& sequences,
                     const at::Tensor& pool, int64_t layer, int64_t heads) {
  const int64_t kv_heads = pool.size(4);
  const int64_t d = pool.size(5);
  const int64_t group = heads / kv_heads;
  const at::Tensor q64 = q.to(at::kDouble).view({q.size(0), heads, d});
  at::Tensor out = at::zeros({q.size(0), heads, d}, at::kDouble);
  int64_t first = 0;
  for (const Sequence& s : sequences) {
    const int64_t length = s.start + s.tokens;
    std::vector<at::Tensor> keys, values;
    for (int64_t p = 0; p < length; ++p) {
      const at::Tensor slot =
          pool[s.blocks[static_cast<std::size_t>(p / kBlockSize)]][layer].select(1, p % kBlockSize);
      keys.push_back(slot[0].to(at::kDouble));  // [kv_heads, d]
      values.push_back(slot[1].to(at::kDouble));
    }
    const at::Tensor k = at::stack(keys);  // [length, kv_heads, d]
    const at::Tensor v = at::stack(values);
    for (int64_t t = 0; t < s.tokens; ++t) {
      const int64_t seen = s.start + t + 1;
      for (int64_t h = 0; h < heads; ++h) {
        const at::Tensor k_h = k.narrow(0, 0, seen).select(1, h / group);  // [seen, d]
        const at::Tensor scores = at::mv(k_h, q64[first + t][h]) / std::sqrt(double(d));
        out[first + t][h] =
            at::mv(v.narrow(0, 0, seen).select(1, h / group).t(), at::softmax(scores, 0));
      }
    }
    first += s.tokens;
  }
  return out.view({q.size(0), heads * d});
}

class TorchCpuAttentionTest : public ::testing::TestWithParam<test::IsaAndDtype> {
 protected:
  void SetUp() override {
    if (!cpu::supports(std::get<0>(GetParam()))) {
      GTEST_SKIP() << cpu::isa_name(std::get<0>(GetParam())) << " is not supported on this CPU";
    }
    at::manual_seed(99);
  }

  /// Runs the batch on a random pool and compares with the reference.
  void expect_matches(int64_t heads, int64_t kv_heads, int64_t d,
                      const std::vector<Sequence>& sequences) {
    const at::Tensor pool =
        at::randn({kBlocks, kLayers, 2, kBlockSize, kv_heads, d}).to(std::get<1>(GetParam()));
    int64_t rows = 0;
    std::vector<AttentionSlice> slices;
    for (const Sequence& s : sequences) {
      slices.push_back({rows, s.tokens, s.start, s.blocks.data()});
      rows += s.tokens;
    }
    // Queries as a view with a wider row stride, like the q part of the fused qkv output.
    const at::Tensor qkv = at::randn({rows, (heads + 2 * kv_heads) * d}) * 2.0;
    const at::Tensor q = qkv.narrow(1, 0, heads * d);
    for (int64_t layer = 0; layer < kLayers; ++layer) {
      const at::Tensor out = cpu_attention(q, slices, pool, layer, heads, std::get<0>(GetParam()));
      const at::Tensor expected = reference(q, sequences, pool, layer, heads);
      const double error = (out.to(at::kDouble) - expected).abs().max().item<double>();
      EXPECT_LE(error, 2e-6 * expected.abs().max().item<double>()) << "layer " << layer;
    }
  }
};

/// Blocks first, first + 7, first + 14, ... (mod the pool): scattered and distinct per sequence.
std::vector<int32_t> scattered(int32_t first, int64_t tokens) {
  std::vector<int32_t> blocks(static_cast<std::size_t>((tokens + kBlockSize - 1) / kBlockSize));
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    blocks[i] = static_cast<int32_t>((first + 7 * static_cast<int64_t>(i)) % kBlocks);
  }
  return blocks;
}

TEST_P(TorchCpuAttentionTest, AMixedBatchMatchesAFloat64Reference) {
  // A prompt from the start, a chunk starting mid-block, two decode tokens, a long prompt that
  // spans several query chunks.
  const std::vector<Sequence> batch = {{7, 0, scattered(0, 7)},
                                       {5, 6, scattered(3, 11)},
                                       {1, 9, scattered(5, 10)},
                                       {1, 0, scattered(9, 1)},
                                       {37, 2, scattered(11, 39)}};
  for (const auto& [heads, kv_heads] :
       std::vector<std::pair<int64_t, int64_t>>{{4, 2}, {4, 4}, {8, 2}}) {
    for (const int64_t d : {8, 40, 13}) {
      SCOPED_TRACE("heads " + std::to_string(heads) + "/" + std::to_string(kv_heads) + " d " +
                   std::to_string(d));
      expect_matches(heads, kv_heads, d, batch);
    }
  }
}

TEST_P(TorchCpuAttentionTest, ALongContextMatchesAFloat64Reference) {
  const std::vector<Sequence> decode = {{1, 150, scattered(1, 151)}, {3, 120, scattered(2, 123)}};
  expect_matches(4, 2, 64, decode);
}

INSTANTIATE_TEST_SUITE_P(Kernels, TorchCpuAttentionTest, test::all_isas_and_dtypes(),
                         test::isa_and_dtype_name);

}  // namespace
}  // namespace disaggd::torch_backend
