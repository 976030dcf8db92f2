// Finding a model folder's chat template: chat_template.jinja, or `chat_template` in
// tokenizer_config.json (a string, or a list of named templates).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "engine/chat/chat_template.h"

namespace disaggd::engine {

/// Loads and parses the chat template named `name` of a Hugging Face model folder, as
/// transformers finds it:
///  - "default": `chat_template.jinja` when the folder has one (newer transformers save the
///    template there, and it wins over tokenizer_config.json); otherwise `chat_template` in
///    tokenizer_config.json: a string, or a list of {"name", "template"} objects (or an object
///    of name -> template) from which "default" is taken;
///  - another name: `additional_chat_templates/<name>.jinja`, or that entry of the list.
/// nullopt when the folder has no such template (no file, no key, or a null key). Errors name the
/// file (and key), and for parse errors the line and column in the template.
core::Result<std::optional<ChatTemplate>> load_chat_template(
    const std::filesystem::path& model_folder, std::string_view name = "default");

}  // namespace disaggd::engine
