// ModelFolder: config first, then the weights it describes.
#include "engine/model/model_folder.h"

#include <system_error>
#include <utility>

namespace disaggd::engine {

core::Result<ModelFolder> open_model_folder(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return core::Status(core::StatusCode::kNotFound,
                        path.string() + ": not a directory (expected a Hugging Face model folder)");
  }
  core::Result<ModelConfig> config = load_model_config(path);
  if (!config.ok()) {
    return config.status();
  }
  core::Result<WeightStore> weights = WeightStore::open(path, *config);
  if (!weights.ok()) {
    return weights.status();
  }
  return ModelFolder{path, std::move(config).value(), std::move(weights).value()};
}

}  // namespace disaggd::engine
