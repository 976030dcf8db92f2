// WeightStore: a model's safetensors weights, mapped, checked against its config, and offered
// to model backends through the C ABI.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "disaggd/model.h"
#include "engine/model/model_config.h"
#include "engine/model/safetensors_file.h"

namespace disaggd::engine {

/// The weights of one model folder. Holds the memory maps of every file it read, so each
/// tensor's data stays valid as long as the store lives (also across moves). Movable, not
/// copyable; a moved-from store may only be destroyed or assigned to.
class WeightStore {
 public:
  /// Name of the single-file checkpoint.
  static constexpr std::string_view kSingleFile = "model.safetensors";
  /// Name of the index of a sharded checkpoint.
  static constexpr std::string_view kIndexFile = "model.safetensors.index.json";

  /// Opens the weights in `folder`: `model.safetensors` when it exists (as transformers prefers
  /// it), else the shards named by `model.safetensors.index.json`. Checks:
  /// - every file as SafetensorsFile::open does;
  /// - for an index: `weight_map` maps tensor names to shard file names that stay inside the
  ///   folder (plain file names), every mapped tensor is in its shard, and every tensor of a
  ///   shard is mapped to that shard;
  /// - the tensor set is exactly expected_tensors(config), with the expected shapes (tensors
  ///   is_ignored_tensor() accepts are skipped), all in one of F32, F16, BF16.
  /// Errors name the file and tensor; with several problems the first is reported with the
  /// number of others.
  static core::Result<WeightStore> open(const std::filesystem::path& folder,
                                        const ModelConfig& config);

  WeightStore(WeightStore&&) noexcept;
  WeightStore& operator=(WeightStore&&) noexcept;
  WeightStore(const WeightStore&) = delete;
  WeightStore& operator=(const WeightStore&) = delete;
  ~WeightStore();

  /// The model's tensors in the order of expected_tensors(config) (ignored tensors left out).
  const std::vector<TensorInfo>& tensors() const;
  /// The tensor named `name`, or nullptr (also for ignored tensors).
  const TensorInfo* find(std::string_view name) const;
  /// The dtype every tensor shares. It may differ from the config's torch_dtype.
  disaggd_dtype dtype() const;
  /// The safetensors files read, in the order opened (shards sorted by name).
  std::vector<std::filesystem::path> files() const;
  /// Sum of the tensors' byte sizes.
  std::size_t total_bytes() const;

  /// The weights as the model ABI offers them to `create_fn`: `tensor_count` = tensors().size(),
  /// and `host_get_tensor(host_ptr, i, out)` fills `*out` with tensors()[i] (name, dtype, rank,
  /// shape and data all point into storage this store owns) and sets `out->struct_size`. It
  /// returns DISAGGD_STATUS_INVALID_ARGUMENT for an index out of range or a null `out`. Valid
  /// while this store lives, even if it is moved.
  disaggd_weight_source weight_source() const;

 private:
  struct State;
  explicit WeightStore(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace disaggd::engine
