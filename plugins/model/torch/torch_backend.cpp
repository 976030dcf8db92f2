// The `torch` model backend plugin: Llama, Qwen2 and Qwen3 decoders on libtorch (CPU here; the
// same code runs on a CUDA build of libtorch), with a paged KV cache.
//
// Options: dtype (auto | float32 | bfloat16, see compute_mode.h: float32 keeps everything in
// float32; bfloat16 keeps weights and the KV cache in bfloat16 — on the CPU activations stay
// float32 and our kernels (cpu_linear.h) widen the weights on the fly, on CUDA everything is
// bfloat16; auto is bfloat16 for bf16 checkpoints and float32 for f32/f16 ones), block_size
// (tokens per KV block, default 16), kv_blocks (pool size in blocks; 0 = from kv_cache_mb),
// kv_cache_mb (default 512), threads (intra-op threads; 0 = one per CPU the process may run on),
// device (cpu | cuda | cuda:N; weights and the KV pool live there, logits come back to host
// memory), kernels (auto | aten: aten runs ATen ops on the CPU too, the path CUDA takes, kept as a
// reference).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <ATen/Context.h>
#include <sched.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "compute_mode.h"
#include "cpu_kernels.h"
#include "disaggd/sdk/model.hpp"
#include "model_spec.h"
#include "paged_kv_cache.h"
#include "transformer.h"

namespace disaggd::torch_backend {
namespace {

using sdk::Error;

/// CPUs this process may run on (its affinity mask), at least 1.
int usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

at::Device choose_device(const std::string& option) {
  std::optional<at::Device> device;
  try {
    device = at::Device(option);
  } catch (const std::exception&) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT,
                "option 'device' must be cpu, cuda or cuda:N, got '" + option + "'");
  }
  if (device->is_cpu()) {
    return at::Device(at::kCPU);
  }
  if (!device->is_cuda()) {
    throw Error(DISAGGD_STATUS_UNSUPPORTED, "option 'device': only cpu and cuda are supported");
  }
  if (!at::hasCUDA()) {
    throw Error(DISAGGD_STATUS_UNSUPPORTED,
                "option 'device' is '" + option +
                    "', but this libtorch has no CUDA (or no GPU is present); use device: cpu");
  }
  const int index = device->has_index() ? device->index() : 0;
  if (index >= static_cast<int>(at::getNumGPUs())) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "option 'device' is '" + option + "', but only " +
                                                     std::to_string(at::getNumGPUs()) +
                                                     " GPU(s) are visible");
  }
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

disaggd_dtype abi_dtype(at::ScalarType type) {
  return type == at::kBFloat16 ? DISAGGD_DTYPE_BF16 : DISAGGD_DTYPE_F32;
}

class TorchBackend final : public sdk::ModelBackend {
 public:
  TorchBackend(std::string_view model_config_json, const sdk::WeightSource& weights,
               sdk::Options& options, sdk::Host host) {
    const ModelSpec spec = parse_model_spec(model_config_json);
    const std::string dtype = options.get_string("dtype", "auto");
    const std::string kernels = options.get_string("kernels", "auto");
    const int64_t block_size = options.get_int("block_size", 16, 1, 1024);
    const int64_t kv_blocks = options.get_int("kv_blocks", 0, 0, int64_t{1} << 31);
    const int64_t kv_cache_mb = options.get_int("kv_cache_mb", 512, 1, int64_t{1} << 24);
    const int64_t threads = options.get_int("threads", 0, 0, 1024);
    const ComputeMode mode = choose_compute_mode(
        dtype, kernels, spec.dtype, choose_device(options.get_string("device", "cpu")));
    // libtorch's own default is 1 thread on some machines (this Debian build on a 2-vCPU VM).
    at::set_num_threads(threads > 0 ? static_cast<int>(threads) : usable_cpus());

    host.info("loading " + std::to_string(spec.num_layers) + " layers on " + mode.device.str() +
              ": weights " + at::toString(mode.weights) + ", activations " +
              at::toString(mode.activations) + ", KV cache " + at::toString(mode.kv) + " (" +
              std::to_string(at::get_num_threads()) + " CPU threads" +
              (mode.cpu_kernels ? std::string(", ") + cpu::isa_name(cpu::best_isa()) + " kernels"
                                : std::string(", ATen ops")) +
              ")");
    TransformerWeights loaded =
        load_weights(spec, weights, mode, [&host](int64_t done, int64_t all) {
          if (done == all || done % std::max<int64_t>(1, all / 4) == 0) {
            host.info("loaded layer " + std::to_string(done) + "/" + std::to_string(all));
          }
        });
    transformer_ = std::make_unique<Transformer>(spec, std::move(loaded), mode);

    const int64_t element = at::elementSize(mode.kv);
    const int64_t bytes_per_block =
        spec.num_layers * 2 * block_size * spec.num_kv_heads * spec.head_dim * element;
    const int64_t blocks = kv_blocks > 0
                               ? kv_blocks
                               : std::max<int64_t>(1, kv_cache_mb * 1024 * 1024 / bytes_per_block);
    cache_ = std::make_unique<PagedKvCache>(spec.num_layers, blocks, block_size, spec.num_kv_heads,
                                            spec.head_dim, mode.kv, mode.device);
    host.info("KV pool: " + std::to_string(blocks) + " blocks of " + std::to_string(block_size) +
              " tokens, " + std::to_string(cache_->bytes() / (1024 * 1024)) + " MiB");
  }

  sdk::KvLayout kv_layout() const override {
    const ModelSpec& spec = transformer_->spec();
    sdk::KvLayout layout;
    layout.num_layers = static_cast<uint32_t>(spec.num_layers);
    layout.num_kv_heads = static_cast<uint32_t>(spec.num_kv_heads);
    layout.head_dim = static_cast<uint32_t>(spec.head_dim);
    layout.block_size = static_cast<uint32_t>(cache_->block_size());
    layout.dtype = abi_dtype(cache_->dtype());
    layout.num_blocks = static_cast<uint32_t>(cache_->num_blocks());
    layout.bytes_per_block = static_cast<uint64_t>(cache_->bytes_per_block());
    return layout;
  }

  std::vector<sdk::KvRegion> kv_regions() const override {
    sdk::KvRegion region;
    region.base = cache_->data();
    region.length = static_cast<uint64_t>(cache_->bytes());
    const at::Device device = cache_->device();
    region.kind = device.is_cuda() ? DISAGGD_MEMORY_CUDA : DISAGGD_MEMORY_HOST;
    region.device_id = device.is_cuda() ? device.index() : -1;
    return {region};
  }

  std::size_t vocab_size() const override {
    return static_cast<std::size_t>(transformer_->spec().vocab_size);
  }

  void forward(const disaggd_forward_sequence* sequences, std::size_t count,
               float* logits) override {
    const int64_t limit = transformer_->spec().max_position_embeddings;
    for (std::size_t i = 0; i < count; ++i) {
      if (int64_t{sequences[i].start_position} + sequences[i].token_count > limit) {
        throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "sequence " + std::to_string(i) +
                                                         " goes beyond max_position_embeddings " +
                                                         std::to_string(limit));
      }
    }
    transformer_->forward(sequences, count, *cache_, logits);
  }

 private:
  std::unique_ptr<Transformer> transformer_;
  std::unique_ptr<PagedKvCache> cache_;
};

}  // namespace
}  // namespace disaggd::torch_backend

DISAGGD_MODEL_PLUGIN(disaggd::torch_backend::TorchBackend, "torch", "0.1.0",
                     "Llama, Qwen2 and Qwen3 on libtorch with a paged KV cache");
