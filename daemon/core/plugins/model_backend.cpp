// Calling a model plugin instance through its C vtable.
#include "core/plugins/model_backend.h"

#include <utility>

#include "core/plugins/plugin_call.h"

namespace disaggd::core {

ModelBackend::ModelBackend(std::shared_ptr<PluginLibrary> library,
                           const disaggd_model_vtable* vtable)
    : library_(std::move(library)),
      vtable_(vtable),
      host_services_("model/" + library_->info().name) {}

std::string ModelBackend::call_name(const char* function) const {
  return library_->display_name() + ": " + function;
}

Result<std::unique_ptr<ModelBackend>> ModelBackend::create(std::shared_ptr<PluginLibrary> library,
                                                           const std::string& model_config_json,
                                                           const disaggd_weight_source& weights,
                                                           const PluginOptions& options) {
  if (library == nullptr || library->info().kind != PluginKind::kModel) {
    return Status(StatusCode::kInvalidArgument,
                  library == nullptr ? "no plugin library"
                                     : library->display_name() + " is not a model plugin");
  }
  const auto* vtable = static_cast<const disaggd_model_vtable*>(library->vtable());
  std::unique_ptr<ModelBackend> backend(new ModelBackend(std::move(library), vtable));
  const AbiOptions abi_options(options);
  disaggd_model_instance* instance = nullptr;
  DISAGGD_RETURN_IF_ERROR(call_plugin(backend->call_name("create"), [&](disaggd_string_sink* e) {
    return vtable->create_fn(
        disaggd_string_view{model_config_json.data(), model_config_json.size()}, &weights,
        abi_options.data(), abi_options.size(), backend->host_services_.get(), &instance, e);
  }));
  if (instance == nullptr) {
    return Status(StatusCode::kInternal,
                  backend->call_name("create") + ": returned OK but no instance");
  }
  backend->instance_ = instance;

  backend->layout_.struct_size = sizeof(disaggd_kv_layout);
  DISAGGD_RETURN_IF_ERROR(call_plugin(backend->call_name("kv_layout"), [&](disaggd_string_sink* e) {
    return vtable->kv_layout_fn(instance, &backend->layout_, e);
  }));
  if (backend->layout_.block_size == 0 || backend->layout_.num_blocks == 0) {
    return Status(StatusCode::kInternal,
                  backend->call_name("kv_layout") + ": reported an empty KV pool");
  }
  size_t region_count = 0;
  DISAGGD_RETURN_IF_ERROR(
      call_plugin(backend->call_name("kv_regions"), [&](disaggd_string_sink* e) {
        return vtable->kv_regions_fn(instance, nullptr, 0, &region_count, e);
      }));
  backend->regions_.assign(region_count,
                           disaggd_kv_region{sizeof(disaggd_kv_region), nullptr, 0, 0, -1});
  DISAGGD_RETURN_IF_ERROR(
      call_plugin(backend->call_name("kv_regions"), [&](disaggd_string_sink* e) {
        return vtable->kv_regions_fn(instance, backend->regions_.data(), backend->regions_.size(),
                                     &region_count, e);
      }));
  return backend;
}

ModelBackend::~ModelBackend() {
  if (instance_ != nullptr) {
    try {
      vtable_->destroy_fn(instance_);
    } catch (...) {
      // A plugin that throws from destroy_fn broke the ABI; contain it rather than terminate.
    }
  }
}

Status ModelBackend::forward(std::span<const disaggd_forward_sequence> sequences,
                             std::span<float> logits) {
  return call_plugin(call_name("forward"), [&](disaggd_string_sink* e) {
    return vtable_->forward_fn(instance_, sequences.data(), sequences.size(), logits.data(),
                               logits.size(), e);
  });
}

}  // namespace disaggd::core
