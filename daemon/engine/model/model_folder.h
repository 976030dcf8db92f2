// ModelFolder: a Hugging Face model folder's config and weights, loaded and checked together.
#pragma once

#include <filesystem>

#include "core/status.h"
#include "engine/model/model_config.h"
#include "engine/model/weight_store.h"

namespace disaggd::engine {

/// A loaded model folder. Movable, not copyable (it owns the weight mappings).
struct ModelFolder {
  std::filesystem::path path;  ///< The folder.
  ModelConfig config;          ///< config.json + generation_config.json.
  WeightStore weights;         ///< The checked safetensors weights.
};

/// Loads `<path>/config.json` (and generation_config.json), then the weights checked against
/// that config. kNotFound when `path` is not a directory; otherwise the errors of
/// load_model_config and WeightStore::open.
core::Result<ModelFolder> open_model_folder(const std::filesystem::path& path);

}  // namespace disaggd::engine
