// Conversions from YAML nodes to typed config values.
#include "core/config/config_values.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/plugins/plugin_kind.h"

namespace disaggd::core {
namespace {

bool scalar_text(const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) {
    return false;
  }
  *out = node.Scalar();
  return true;
}

std::filesystem::path resolve(const std::string& text, const ValueContext& context) {
  std::filesystem::path path(text);
  if (path.is_relative() && !context.base_dir.empty()) {
    path = context.base_dir / path;
  }
  return path.lexically_normal();
}

// yaml-cpp tags quoted scalars "!" and plain ones "?".
bool is_quoted(const YAML::Node& node) {
  return node.Tag() == "!";
}

std::string flatten_options(const YAML::Node& node, const std::string& prefix, PluginOptions* out) {
  for (const auto& entry : node) {
    std::string key;
    if (!scalar_text(entry.first, &key) || key.empty()) {
      return "expected option names to be strings, got " + describe_node(entry.first);
    }
    const std::string full_key = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node& value = entry.second;
    if (value.IsMap()) {
      const std::string error = flatten_options(value, full_key, out);
      if (!error.empty()) {
        return error;
      }
    } else if (value.IsScalar()) {
      out->push_back(PluginOption::from_scalar(full_key, value.Scalar(), is_quoted(value)));
    } else {
      return "option '" + full_key + "' must be a single value (string, number or bool), got " +
             describe_node(value);
    }
  }
  return {};
}

}  // namespace

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

std::string read_string(const YAML::Node& node, std::string* out) {
  if (!scalar_text(node, out)) {
    return "expected a string, got " + describe_node(node);
  }
  return {};
}

std::string read_integer(const YAML::Node& node, int64_t min, int64_t max, int64_t* out) {
  std::string text;
  const std::string expected =
      "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!scalar_text(node, &text)) {
    return expected + ", got " + describe_node(node);
  }
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (result.ec != std::errc() || result.ptr != end || value < min || value > max) {
    return expected + ", got '" + text + "'";
  }
  *out = value;
  return {};
}

std::string read_bool(const YAML::Node& node, bool* out) {
  std::string text;
  if (scalar_text(node, &text)) {
    for (const char* yes : {"true", "True", "TRUE", "yes", "on"}) {
      if (text == yes) {
        *out = true;
        return {};
      }
    }
    for (const char* no : {"false", "False", "FALSE", "no", "off"}) {
      if (text == no) {
        *out = false;
        return {};
      }
    }
  }
  return "expected true or false, got " + describe_node(node);
}

std::string read_plugin_name(const YAML::Node& node, std::string* out) {
  std::string text;
  if (!scalar_text(node, &text) || !is_valid_plugin_name(text)) {
    return "expected a plugin name (a-z, 0-9 and _), got " + describe_node(node);
  }
  *out = text;
  return {};
}

std::string read_url(const YAML::Node& node, std::string* out) {
  std::string text;
  if (!scalar_text(node, &text)) {
    return "expected a URL such as http://host:port, got " + describe_node(node);
  }
  if (!text.empty()) {
    const std::size_t scheme_end = text.find("://");
    const std::string scheme = scheme_end == std::string::npos ? "" : text.substr(0, scheme_end);
    const bool has_host = scheme_end != std::string::npos && scheme_end + 3 < text.size() &&
                          text[scheme_end + 3] != '/' && text[scheme_end + 3] != ':';
    if ((scheme != "http" && scheme != "https") || !has_host) {
      return "expected a URL such as http://host:port, got '" + text + "'";
    }
  }
  *out = text;
  return {};
}

std::string read_existing_path(const YAML::Node& node, const ValueContext& context,
                               std::filesystem::path* out) {
  std::string text;
  if (!scalar_text(node, &text)) {
    return "expected a path, got " + describe_node(node);
  }
  if (text.empty()) {
    *out = std::filesystem::path();
    return {};
  }
  const std::filesystem::path path = resolve(text, context);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return "path " + path.string() + " does not exist";
  }
  *out = path;
  return {};
}

std::string read_directory_list(const YAML::Node& node, const ValueContext& context,
                                std::vector<std::filesystem::path>* out) {
  std::vector<std::filesystem::path> dirs;
  std::vector<YAML::Node> items;
  if (node.IsNull()) {
    // An empty key means an empty list.
  } else if (node.IsScalar()) {
    items.push_back(node);
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      items.push_back(item);
    }
  } else {
    return "expected a list of directories, got " + describe_node(node);
  }
  for (const YAML::Node& item : items) {
    std::string text;
    if (!scalar_text(item, &text) || text.empty()) {
      return "expected a list of directories, got an entry that is " + describe_node(item);
    }
    const std::filesystem::path dir = resolve(text, context);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return "directory " + dir.string() + " does not exist";
    }
    dirs.push_back(dir);
  }
  *out = std::move(dirs);
  return {};
}

std::string read_option_map(const YAML::Node& node, PluginOptions* out) {
  PluginOptions options;
  if (!node.IsNull()) {
    if (!node.IsMap()) {
      return "expected a map of options (name: value), got " + describe_node(node);
    }
    const std::string error = flatten_options(node, "", &options);
    if (!error.empty()) {
      return error;
    }
  }
  *out = std::move(options);
  return {};
}

std::string read_secret(const YAML::Node& node, const ValueContext& context, Secret* out) {
  const std::string expected = "expected a string, {env: VARIABLE} or {file: PATH}";
  if (node.IsNull()) {
    *out = Secret{};  // `token:` with no value: no secret.
    return {};
  }
  if (node.IsScalar()) {
    *out = Secret{node.Scalar(), context.from_command_line ? "command line" : "config file"};
    return {};
  }
  if (!node.IsMap() || node.size() != 1) {
    return expected + ", got " + describe_node(node);
  }
  const auto entry = *node.begin();
  std::string kind;
  std::string name;
  if (!scalar_text(entry.first, &kind) || !scalar_text(entry.second, &name) || name.empty()) {
    return expected + ", got " + describe_node(node);
  }
  if (kind == "env") {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      return "environment variable " + name + " is not set or empty";
    }
    *out = Secret{value, "environment variable " + name};
    return {};
  }
  if (kind == "file") {
    const std::filesystem::path path = resolve(name, context);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return "cannot read secret file " + path.string();
    }
    std::ostringstream content;
    content << in.rdbuf();
    std::string value = content.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
      value.pop_back();
    }
    if (value.empty()) {
      return "secret file " + path.string() + " is empty";
    }
    *out = Secret{value, "file " + path.string()};
    return {};
  }
  return expected + ", got a map with key '" + kind + "'";
}

}  // namespace disaggd::core
