// The dtype option.
#include "compute_mode.h"

#include "disaggd/sdk/model.hpp"

namespace disaggd::torch_backend {

ComputeMode choose_compute_mode(const std::string& dtype, const std::string& kernels,
                                const std::string& checkpoint_dtype, at::Device device) {
  if (dtype != "auto" && dtype != "float32" && dtype != "bfloat16") {
    throw sdk::Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                     "option 'dtype' must be auto, float32 or bfloat16, got '" + dtype + "'");
  }
  if (kernels != "auto" && kernels != "aten") {
    throw sdk::Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                     "option 'kernels' must be auto or aten, got '" + kernels + "'");
  }
  const bool bf16 = dtype == "bfloat16" || (dtype == "auto" && checkpoint_dtype == "bfloat16");
  ComputeMode mode;
  mode.device = device;
  mode.cpu_kernels = device.is_cpu() && kernels == "auto";
  if (bf16) {
    mode.weights = at::kBFloat16;
    mode.kv = at::kBFloat16;
    mode.activations = mode.cpu_kernels ? at::kFloat : at::kBFloat16;
  }
  return mode;
}

}  // namespace disaggd::torch_backend
