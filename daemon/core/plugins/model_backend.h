// ModelBackend: one live instance of a model plugin, called through its C vtable.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/plugins/plugin_host_services.h"
#include "core/plugins/plugin_library.h"
#include "core/plugins/plugin_options.h"
#include "core/status.h"
#include "disaggd/model.h"

namespace disaggd::core {

/// A model plugin instance: the model's weights and its KV pool live inside it. Keeps its library
/// loaded while it lives. forward() must be called by one thread at a time; the layout and regions
/// are read once at creation and may be read from any thread.
class ModelBackend {
 public:
  /// Creates an instance of the model plugin in `library` from the model description
  /// `model_config_json`, the weights in `weights` (needed during this call only) and `options`.
  static Result<std::unique_ptr<ModelBackend>> create(std::shared_ptr<PluginLibrary> library,
                                                      const std::string& model_config_json,
                                                      const disaggd_weight_source& weights,
                                                      const PluginOptions& options);

  ~ModelBackend();
  ModelBackend(const ModelBackend&) = delete;
  ModelBackend& operator=(const ModelBackend&) = delete;

  /// Runs one step over `sequences`; writes vocab-sized float logits for every sequence with
  /// want_logits set, in order, into `logits`.
  Status forward(std::span<const disaggd_forward_sequence> sequences, std::span<float> logits);

  const disaggd_kv_layout& kv_layout() const { return layout_; }
  const std::vector<disaggd_kv_region>& kv_regions() const { return regions_; }
  const PluginInfo& info() const { return library_->info(); }

 private:
  ModelBackend(std::shared_ptr<PluginLibrary> library, const disaggd_model_vtable* vtable);

  std::string call_name(const char* function) const;

  // Declared first so it is destroyed last: the plugin's code must stay mapped until
  // destroy_fn has returned.
  std::shared_ptr<PluginLibrary> library_;
  const disaggd_model_vtable* vtable_;
  PluginHostServices host_services_;
  disaggd_model_instance* instance_ = nullptr;
  disaggd_kv_layout layout_{};
  std::vector<disaggd_kv_region> regions_;
};

}  // namespace disaggd::core
