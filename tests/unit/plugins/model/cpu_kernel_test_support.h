// Helpers shared by the tests of the torch backend's CPU kernels: readable parameter names, the
// instruction sets to run, a scoped thread count.
#pragma once

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <ostream>
#include <string>
#include <tuple>

#include "cpu_kernels.h"

namespace disaggd::torch_backend {
namespace cpu {
inline void PrintTo(Isa isa, std::ostream* out) {
  *out << isa_name(isa);
}
}  // namespace cpu

namespace test {

/// Every instruction set: tests skip the ones this CPU lacks (the scalar one it always has).
inline auto all_isas() {
  return ::testing::Values(cpu::Isa::kScalar, cpu::Isa::kAvx2);
}

inline std::string isa_param_name(const ::testing::TestParamInfo<cpu::Isa>& param_info) {
  return cpu::isa_name(param_info.param);
}

/// Tests run per instruction set and per dtype of the weights (or of the KV pool).
using IsaAndDtype = std::tuple<cpu::Isa, at::ScalarType>;

inline auto all_isas_and_dtypes() {
  return ::testing::Combine(all_isas(), ::testing::Values(at::kFloat, at::kBFloat16));
}

/// "avx2_bf16", "scalar_f32", ...
inline std::string isa_and_dtype_name(const ::testing::TestParamInfo<IsaAndDtype>& param_info) {
  return std::string(cpu::isa_name(std::get<0>(param_info.param))) +
         (std::get<1>(param_info.param) == at::kBFloat16 ? "_bf16" : "_f32");
}

/// Sets the intra-op threads for a scope.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) : before_(at::get_num_threads()) {
    at::set_num_threads(threads);
  }
  ~ScopedThreads() { at::set_num_threads(before_); }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int before_;
};

}  // namespace test
}  // namespace disaggd::torch_backend
