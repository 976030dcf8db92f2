// Loading a model folder's chat template.
#include "engine/chat/chat_template_loader.h"

#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "engine/common/json_file.h"

namespace disaggd::engine {
namespace {

core::Status file_error(const std::filesystem::path& file, const std::string& what) {
  return core::Status(core::StatusCode::kInvalidArgument, file.string() + ": " + what);
}

core::Result<std::optional<ChatTemplate>> parse_named(std::string_view source,
                                                      const std::string& context) {
  core::Result<ChatTemplate> parsed = ChatTemplate::parse(source);
  if (!parsed.ok()) {
    return parsed.status().with_context(context);
  }
  return std::optional<ChatTemplate>(std::move(parsed).value());
}

core::Result<std::optional<ChatTemplate>> load_jinja_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return file_error(file, "cannot be read");
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return file_error(file, "cannot be read");
  }
  return parse_named(text, file.string());
}

/// The template `name` in tokenizer_config.json's "chat_template" value.
core::Result<std::optional<ChatTemplate>> from_config_value(const nlohmann::json& value,
                                                            const std::filesystem::path& file,
                                                            std::string_view name) {
  const std::string key_context = file.string() + ": chat_template";
  if (value.is_null()) {
    return std::optional<ChatTemplate>();
  }
  if (value.is_string()) {
    if (name != "default") {
      return std::optional<ChatTemplate>();
    }
    return parse_named(value.get_ref<const std::string&>(), key_context);
  }
  std::string names;
  auto note_name = [&names](const std::string& entry) {
    names += (names.empty() ? "'" : ", '") + entry + "'";
  };
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      const nlohmann::json& entry = value[i];
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
          !entry.contains("template") || !entry["template"].is_string()) {
        return file_error(file, "chat_template[" + std::to_string(i) +
                                    "]: expected an object with string \"name\" and \"template\", "
                                    "got " +
                                    json_excerpt(entry));
      }
      const std::string& entry_name = entry["name"].get_ref<const std::string&>();
      if (entry_name == name) {
        return parse_named(entry["template"].get_ref<const std::string&>(),
                           key_context + "[" + std::to_string(i) + "] (" + entry_name + ")");
      }
      note_name(entry_name);
    }
  } else if (value.is_object()) {
    for (const auto& [entry_name, entry] : value.items()) {
      if (!entry.is_string()) {
        return file_error(file, "chat_template." + entry_name + ": expected a string, got " +
                                    json_excerpt(entry));
      }
      if (entry_name == name) {
        return parse_named(entry.get_ref<const std::string&>(), key_context + "." + entry_name);
      }
      note_name(entry_name);
    }
  } else {
    return file_error(file,
                      "chat_template: expected a string or a list of {\"name\", \"template\"} "
                      "objects, got " +
                          json_excerpt(value));
  }
  if (name == "default") {
    return file_error(file, "chat_template: no template named 'default' among " +
                                (names.empty() ? std::string("none") : names));
  }
  return std::optional<ChatTemplate>();
}

}  // namespace

core::Result<std::optional<ChatTemplate>> load_chat_template(
    const std::filesystem::path& model_folder, std::string_view name) {
  std::error_code ec;
  if (!std::filesystem::is_directory(model_folder, ec)) {
    return core::Status(core::StatusCode::kNotFound, model_folder.string() + ": no such directory");
  }
  const std::filesystem::path jinja_file =
      name == "default"
          ? model_folder / "chat_template.jinja"
          : model_folder / "additional_chat_templates" / (std::string(name) + ".jinja");
  if (std::filesystem::is_regular_file(jinja_file, ec)) {
    return load_jinja_file(jinja_file);
  }
  const std::filesystem::path config_file = model_folder / "tokenizer_config.json";
  if (!std::filesystem::exists(config_file, ec)) {
    return std::optional<ChatTemplate>();
  }
  core::Result<nlohmann::json> config = read_json_object(config_file);
  if (!config.ok()) {
    return config.status();
  }
  const auto it = config->find("chat_template");
  if (it == config->end()) {
    return std::optional<ChatTemplate>();
  }
  return from_config_value(*it, config_file, name);
}

}  // namespace disaggd::engine
