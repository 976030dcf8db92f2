// disaggd-matmul-flops: the FLOP/s of libtorch's matrix multiply (at::mm, i.e. its BLAS) on a
// prefill-shaped problem. In float32 (the default) it is the ceiling of the torch backend's
// prefill speed; with --dtype bfloat16 it shows what libtorch's own bf16 matmul reaches on this
// CPU (why the backend widens bf16 weights to float32 for its matmuls where that is faster).
//
//   disaggd-matmul-flops [--threads N] [--m 512] [--k 1024] [--n 3072] [--repeat 5]
//                        [--dtype float32|bfloat16]
//
// Prints the best of --repeat runs: "matmul_<dtype> threads=N m=.. k=.. n=.. gflop_per_s=...".
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  int threads = 1;
  int64_t m = 512, k = 1024, n = 3072;
  int repeat = 5;
  at::ScalarType dtype = at::kFloat;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--dtype" &&
        (std::string(argv[i + 1]) == "float32" || std::string(argv[i + 1]) == "bfloat16")) {
      dtype = std::string(argv[i + 1]) == "float32" ? at::kFloat : at::kBFloat16;
    } else if (flag == "--threads") {
      threads = static_cast<int>(std::max<int64_t>(1, value));
    } else if (flag == "--m") {
      m = value;
    } else if (flag == "--k") {
      k = value;
    } else if (flag == "--n") {
      n = value;
    } else if (flag == "--repeat") {
      repeat = static_cast<int>(std::max<int64_t>(1, value));
    } else {
      std::fprintf(stderr,
                   "usage: disaggd-matmul-flops [--threads N] [--m M] [--k K] [--n N] [--repeat R] "
                   "[--dtype float32|bfloat16]\n");
      return 64;
    }
  }
  at::set_num_threads(threads);
  const at::Tensor a = at::randn({m, k}).to(dtype);
  const at::Tensor b = at::randn({n, k}).to(dtype);  // [out, in], as model weights are stored
  at::Tensor c = at::mm(a, b.t());                   // warm-up
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    c = at::mm(a, b.t());
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
  std::printf("matmul_%s threads=%d m=%lld k=%lld n=%lld gflop_per_s=%.1f\n",
              dtype == at::kFloat ? "float32" : "bfloat16", threads, static_cast<long long>(m),
              static_cast<long long>(k), static_cast<long long>(n), flops / best / 1e9);
  return c.numel() == 0 ? 1 : 0;
}
