// WeightStore: opens single-file or sharded checkpoints and checks them against the architecture.
#include "engine/model/weight_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "engine/common/json_file.h"
#include "engine/model/expected_tensors.h"
#include "engine/model/tensor_dtype.h"

namespace disaggd::engine {

using core::Result;
using core::Status;
using core::StatusCode;
using nlohmann::json;

struct WeightStore::State {
  std::vector<SafetensorsFile> files;
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::size_t, std::less<>> index;
  disaggd_dtype dtype = DISAGGD_DTYPE_F32;
};

namespace {

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  }
  return text + "]";
}

/// A shard name from the index is usable only as a plain file name inside the model folder.
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == std::string::npos && name.find('\0') == std::string::npos;
}

/// Opens the shards of a sharded checkpoint and checks them against the index's weight_map.
Status open_sharded(const std::filesystem::path& folder, std::vector<SafetensorsFile>& files) {
  const std::filesystem::path index_path = folder / WeightStore::kIndexFile;
  Result<json> index = read_json_object(index_path);
  if (!index.ok()) {
    return index.status();
  }
  const std::string where = index_path.string() + ": weight_map";
  const auto map_it = index->find("weight_map");
  if (map_it == index->end() || !map_it->is_object() || map_it->empty()) {
    return Status(StatusCode::kInvalidArgument,
                  where +
                      ": expected a non-empty object mapping tensor names to shard files, got " +
                      (map_it == index->end() ? std::string("nothing") : json_excerpt(*map_it)));
  }
  std::map<std::string, std::string> weight_map;
  std::set<std::string> shard_names;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) {
      return Status(StatusCode::kInvalidArgument, where + ": tensor " + in_quotes(tensor) +
                                                      ": expected a shard file name, got " +
                                                      json_excerpt(shard));
    }
    const std::string& name = shard.get_ref<const std::string&>();
    if (!is_plain_file_name(name)) {
      return Status(StatusCode::kInvalidArgument,
                    where + ": tensor " + in_quotes(tensor) + ": shard " + in_quotes(name) +
                        " is not a plain file name inside the model folder");
    }
    weight_map.emplace(tensor, name);
    shard_names.insert(name);
  }
  // Open every shard first, so a missing one is reported as such rather than as a mismatch.
  for (const std::string& name : shard_names) {
    Result<SafetensorsFile> shard = SafetensorsFile::open(folder / name);
    if (!shard.ok()) {
      return shard.status().with_context(index_path.string() + ": shard " + in_quotes(name));
    }
    files.push_back(std::move(shard).value());
  }
  for (const SafetensorsFile& shard : files) {
    const std::string name = shard.path().filename().string();
    for (const TensorInfo& tensor : shard.tensors()) {
      const auto it = weight_map.find(tensor.name);
      if (it == weight_map.end()) {
        return Status(StatusCode::kInvalidArgument,
                      shard.path().string() + ": tensor " + in_quotes(tensor.name) +
                          " is not listed in the weight_map of " + index_path.string());
      }
      if (it->second != name) {
        return Status(StatusCode::kInvalidArgument,
                      shard.path().string() + ": tensor " + in_quotes(tensor.name) +
                          " is mapped to " + in_quotes(it->second) + " in " + index_path.string());
      }
    }
  }
  for (const auto& [tensor, shard] : weight_map) {
    const auto file = std::find_if(files.begin(), files.end(), [&](const SafetensorsFile& f) {
      return f.path().filename() == shard;
    });
    if (file == files.end() || file->find(tensor) == nullptr) {
      return Status(StatusCode::kInvalidArgument, where + ": tensor " + in_quotes(tensor) +
                                                      " is mapped to " + in_quotes(shard) +
                                                      ", which does not contain it");
    }
  }
  return Status();
}

/// Collects the problems of a tensor set against the architecture, in a stable order.
std::vector<std::string> check_tensors(const ModelConfig& config,
                                       const std::map<std::string, const TensorInfo*>& found,
                                       const std::string& searched,
                                       std::vector<TensorInfo>& selected) {
  std::vector<std::string> problems;
  const std::string model = std::string(hf_architecture_name(config.architecture));
  const std::vector<ExpectedTensor> expected_list = expected_tensors(config);
  std::set<std::string_view> expected_names;
  for (const ExpectedTensor& expected : expected_list) {
    expected_names.insert(expected.name);
    const auto it = found.find(expected.name);
    if (it == found.end()) {
      problems.push_back(searched + ": missing tensor " + in_quotes(expected.name) +
                         " (expected shape " + shape_text(expected.shape) + " for this " + model +
                         ")");
      continue;
    }
    const TensorInfo& tensor = *it->second;
    if (tensor.shape != expected.shape) {
      problems.push_back(tensor.file.string() + ": tensor " + in_quotes(tensor.name) + ": shape " +
                         shape_text(tensor.shape) + ", expected " + shape_text(expected.shape) +
                         " for this " + model);
      continue;
    }
    selected.push_back(tensor);
  }
  for (const auto& [name, tensor] : found) {
    if (expected_names.count(name) == 0 && !is_ignored_tensor(config, name)) {
      std::string hint;
      if (name.ends_with(".bias") && !config.attention_bias) {
        hint = "; config.json does not set attention_bias";
      } else if (name.find("_norm.") != std::string::npos && !config.qk_norm) {
        hint = "; only Qwen3ForCausalLM has q_norm/k_norm";
      } else if (name == "lm_head.weight") {
        hint = "; is tie_word_embeddings right?";
      }
      problems.push_back(tensor->file.string() + ": unexpected tensor " + in_quotes(name) +
                         " (not part of this " + model + hint + ")");
    }
  }
  const TensorInfo* first = selected.empty() ? nullptr : &selected.front();
  for (const TensorInfo& tensor : selected) {
    if (!is_float_dtype(tensor.dtype)) {
      problems.push_back(tensor.file.string() + ": tensor " + in_quotes(tensor.name) + " is " +
                         std::string(safetensors_dtype_name(tensor.dtype)) +
                         "; weights must be F32, F16 or BF16");
    } else if (tensor.dtype != first->dtype) {
      problems.push_back(tensor.file.string() + ": tensor " + in_quotes(tensor.name) + " is " +
                         std::string(safetensors_dtype_name(tensor.dtype)) + ", but " +
                         in_quotes(first->name) + " in " + first->file.string() + " is " +
                         std::string(safetensors_dtype_name(first->dtype)) +
                         ": all weights must share one dtype");
    }
  }
  return problems;
}

/// host_get_tensor of weight_source(): `host_ptr` is the store's tensor list.
disaggd_status get_tensor(void* host_ptr, size_t index, disaggd_tensor_view* out) {
  const auto* tensors = static_cast<const std::vector<TensorInfo>*>(host_ptr);
  if (tensors == nullptr || out == nullptr || index >= tensors->size()) {
    return DISAGGD_STATUS_INVALID_ARGUMENT;
  }
  const TensorInfo& tensor = (*tensors)[index];
  out->struct_size = sizeof(disaggd_tensor_view);
  out->name = {tensor.name.data(), tensor.name.size()};
  out->dtype = static_cast<uint32_t>(tensor.dtype);
  out->rank = static_cast<uint32_t>(tensor.shape.size());
  out->shape = tensor.shape.data();
  out->data = {tensor.data, tensor.byte_size};
  return DISAGGD_STATUS_OK;
}

}  // namespace

Result<WeightStore> WeightStore::open(const std::filesystem::path& folder,
                                      const ModelConfig& config) {
  auto state = std::make_unique<State>();
  const std::filesystem::path single = folder / kSingleFile;
  const std::filesystem::path index = folder / kIndexFile;
  std::error_code ec;
  std::string searched;
  if (std::filesystem::exists(single, ec)) {
    Result<SafetensorsFile> file = SafetensorsFile::open(single);
    if (!file.ok()) {
      return file.status();
    }
    state->files.push_back(std::move(file).value());
    searched = single.string();
  } else if (std::filesystem::exists(index, ec)) {
    DISAGGD_RETURN_IF_ERROR(open_sharded(folder, state->files));
    searched = index.string();
  } else {
    std::string message =
        folder.string() + ": no " + std::string(kSingleFile) + " or " + std::string(kIndexFile);
    if (std::filesystem::exists(folder / "pytorch_model.bin", ec)) {
      message += " (pytorch_model.bin is there, but only safetensors weights are supported)";
    }
    return Status(StatusCode::kNotFound, message);
  }

  std::map<std::string, const TensorInfo*> found;
  for (const SafetensorsFile& file : state->files) {
    for (const TensorInfo& tensor : file.tensors()) {
      found.emplace(tensor.name, &tensor);
    }
  }
  const std::vector<std::string> problems = check_tensors(config, found, searched, state->tensors);
  if (!problems.empty()) {
    std::string message = problems.front();
    if (problems.size() > 1) {
      message += " (and " + std::to_string(problems.size() - 1) + " more problem" +
                 (problems.size() > 2 ? "s" : "") + ")";
    }
    return Status(StatusCode::kInvalidArgument, message);
  }
  for (std::size_t i = 0; i < state->tensors.size(); ++i) {
    state->index.emplace(state->tensors[i].name, i);
  }
  state->dtype = state->tensors.empty() ? config.dtype : state->tensors.front().dtype;
  return WeightStore(std::move(state));
}

WeightStore::WeightStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
WeightStore::WeightStore(WeightStore&&) noexcept = default;
WeightStore& WeightStore::operator=(WeightStore&&) noexcept = default;
WeightStore::~WeightStore() = default;

const std::vector<TensorInfo>& WeightStore::tensors() const {
  return state_->tensors;
}

const TensorInfo* WeightStore::find(std::string_view name) const {
  const auto it = state_->index.find(name);
  return it == state_->index.end() ? nullptr : &state_->tensors[it->second];
}

disaggd_dtype WeightStore::dtype() const {
  return state_->dtype;
}

std::vector<std::filesystem::path> WeightStore::files() const {
  std::vector<std::filesystem::path> paths;
  for (const SafetensorsFile& file : state_->files) {
    paths.push_back(file.path());
  }
  return paths;
}

std::size_t WeightStore::total_bytes() const {
  std::size_t total = 0;
  for (const TensorInfo& tensor : state_->tensors) {
    total += tensor.byte_size;
  }
  return total;
}

disaggd_weight_source WeightStore::weight_source() const {
  disaggd_weight_source source{};
  source.struct_size = sizeof(disaggd_weight_source);
  // The tensor list lives on the heap inside State, so the pointer survives moves of the store.
  source.host_ptr = const_cast<std::vector<TensorInfo>*>(&state_->tensors);
  source.tensor_count = state_->tensors.size();
  source.host_get_tensor = &get_tensor;
  return source;
}

}  // namespace disaggd::engine
