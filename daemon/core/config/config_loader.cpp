// Loading and validating the config.
#include "core/config/config_loader.h"

#include <algorithm>
#include <map>
#include <set>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "core/config/config_enums.h"
#include "core/config/config_schema.h"
#include "disaggd/sdk/closest_match.hpp"

namespace disaggd::core {
namespace {

const char* const kCommandLine = "command line";

/// A value found for one field, and where it was found.
struct FoundValue {
  YAML::Node node;
  ConfigIssue where;  // source, line, column, key; message unused
  bool from_command_line = false;
};

/// The names valid directly under `prefix` ("" for the top level): next path segments.
std::vector<std::string> children_of(const std::string& prefix) {
  std::vector<std::string> children;
  const std::string start = prefix.empty() ? "" : prefix + ".";
  for (const FieldSpec& field : config_fields()) {
    if (!field.path.starts_with(start)) {
      continue;
    }
    const std::string rest = field.path.substr(start.size());
    const std::string child = rest.substr(0, rest.find('.'));
    if (std::find(children.begin(), children.end(), child) == children.end()) {
      children.push_back(child);
    }
  }
  return children;
}

bool is_section(const std::string& path) {
  return find_field(path) == nullptr && !children_of(path).empty();
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    text += (text.empty() ? "" : ", ") + word;
  }
  return text;
}

class Loader {
 public:
  explicit Loader(LoadedConfig* result) : result_(result) {}

  /// False when the file could not be read or parsed; then nothing in it can be checked further.
  bool read_file(const std::filesystem::path& file) {
    const std::string source = file.string();
    YAML::Node root;
    try {
      root = YAML::LoadFile(source);
    } catch (const YAML::BadFile&) {
      std::error_code ec;
      const bool exists = std::filesystem::exists(file, ec);
      error({source, 0, 0, "", ""},
            exists ? "cannot read the config file" : "config file does not exist");
      return false;
    } catch (const YAML::ParserException& e) {
      error({source, e.mark.line + 1, e.mark.column + 1, "", ""}, "invalid YAML: " + e.msg);
      return false;
    }
    if (root.IsNull()) {
      return true;  // An empty file: only required keys will be reported missing.
    }
    if (!root.IsMap()) {
      error({source, line_of(root), column_of(root), "", ""},
            "expected a map of settings at the top level, got " + describe_node(root));
      return false;
    }
    walk(root, "", source);
    return true;
  }

  void apply_overrides(const std::vector<ConfigOverride>& overrides) {
    for (const ConfigOverride& override_value : overrides) {
      const ConfigIssue where{kCommandLine, 0, 0, override_value.flag, ""};
      const FieldSpec* field = find_field(override_value.path);
      if (field == nullptr) {
        std::vector<std::string> paths;
        for (const FieldSpec& candidate : config_fields()) {
          paths.push_back(candidate.path);
        }
        const std::string suggestion = sdk::closest_match(override_value.path, paths);
        error(where, "unknown key '" + override_value.path + "'" +
                         (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
        continue;
      }
      FoundValue& found = found_[field->path];
      const bool continues = found.from_command_line && !override_value.yaml &&
                             field->shape != FieldShape::kScalar &&
                             field->shape != FieldShape::kSecret;
      if (!continues) {
        found = FoundValue{YAML::Node(), where, true};
      }
      found.where = where;
      std::string problem = override_node(*field, override_value, &found.node);
      if (!problem.empty()) {
        error(where, problem, field->path);
        found_.erase(field->path);  // Reported once; nothing is left to apply.
      }
    }
  }

  void apply_fields(const std::filesystem::path& file) {
    std::error_code ec;
    const std::filesystem::path cwd = std::filesystem::current_path(ec);
    for (const FieldSpec& field : config_fields()) {
      const auto it = found_.find(field.path);
      if (it == found_.end()) {
        continue;
      }
      const FoundValue& found = it->second;
      const ValueContext context{found.from_command_line ? cwd : file.parent_path(),
                                 found.from_command_line};
      const std::string problem = field.apply(found.node, context, result_->config);
      if (!problem.empty()) {
        error(found.where, problem, field.path);
      }
    }
  }

  void check_required(const std::string& source) {
    for (const FieldSpec& field : config_fields()) {
      if (field.required && found_.count(field.path) == 0) {
        error({source, 0, 0, field.path, ""}, "missing required key (" + field.type + ")",
              field.path);
      }
    }
    if (found_.count("role") == 0 || has_error_for("role")) {
      return;  // Role-specific requirements mean nothing without a valid role.
    }
    const Role role = result_->config.role;
    for (const FieldSpec& field : config_fields()) {
      if (field.required_for.count(role) != 0 && field.is_empty(result_->config) &&
          !has_error_for(field.path)) {
        const auto it = found_.find(field.path);
        const ConfigIssue where =
            it != found_.end() ? it->second.where : ConfigIssue{source, 0, 0, field.path, ""};
        error(where, "required for role " + std::string(role_name(role)) + ": " + field.help,
              field.path);
      }
    }
  }

  void warn_unused_sections() {
    const Role role = result_->config.role;
    const std::string unused_prefix = is_node_role(role) ? "proxy." : "node.";
    for (const auto& [path, found] : found_) {
      if (path.starts_with(unused_prefix)) {
        ConfigIssue issue = found.where;
        issue.message = "ignored by role " + std::string(role_name(role));
        result_->warnings.push_back(issue);
      }
    }
  }

 private:
  static int line_of(const YAML::Node& node) { return node.Mark().line + 1; }
  static int column_of(const YAML::Node& node) { return node.Mark().column + 1; }

  void error(ConfigIssue where, std::string message, const std::string& path = "") {
    where.message = std::move(message);
    result_->errors.push_back(std::move(where));
    if (!path.empty()) {
      error_paths_.insert(path);
    }
  }

  bool has_error_for(const std::string& path) const { return error_paths_.count(path) != 0; }

  void walk(const YAML::Node& map, const std::string& prefix, const std::string& source) {
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const ConfigIssue key_at{source, line_of(entry.first), column_of(entry.first), prefix, ""};
      if (!entry.first.IsScalar()) {
        error(key_at, "expected a key name, got " + describe_node(entry.first));
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      ConfigIssue where = key_at;
      where.key = path;
      if (!seen.insert(key).second) {
        error(where, "duplicate key");
        continue;
      }
      if (find_field(path) != nullptr) {
        found_[path] = FoundValue{entry.second, where, false};
      } else if (is_section(path)) {
        if (entry.second.IsMap()) {
          walk(entry.second, path, source);
        } else if (!entry.second.IsNull()) {
          error(where, "expected a map of settings (" + join(children_of(path)) + "), got " +
                           describe_node(entry.second));
        }
      } else {
        const std::vector<std::string> valid = children_of(prefix);
        const std::string suggestion = sdk::closest_match(key, valid);
        error(where,
              "unknown key" + (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") +
                  "; valid keys" + (prefix.empty() ? "" : " under " + prefix) + ": " + join(valid));
      }
    }
  }

  static std::string override_node(const FieldSpec& field, const ConfigOverride& value,
                                   YAML::Node* node) {
    if (value.yaml) {
      try {
        *node = YAML::Load(value.text);
      } catch (const YAML::ParserException& e) {
        return "invalid YAML value '" + value.text + "': " + e.msg;
      }
      return {};
    }
    switch (field.shape) {
      case FieldShape::kScalar:
      case FieldShape::kSecret:
        *node = YAML::Node(value.text);
        return {};
      case FieldShape::kList: {
        std::size_t start = 0;
        while (start <= value.text.size()) {
          const std::size_t end = std::min(value.text.find(',', start), value.text.size());
          node->push_back(value.text.substr(start, end - start));
          start = end + 1;
        }
        return {};
      }
      case FieldShape::kOptionMap: {
        const std::size_t equals = value.text.find('=');
        if (equals == std::string::npos || equals == 0) {
          return "expected name=value, got '" + value.text + "'";
        }
        (*node)[value.text.substr(0, equals)] = value.text.substr(equals + 1);
        return {};
      }
    }
    return {};
  }

  LoadedConfig* result_;
  std::map<std::string, FoundValue> found_;
  std::set<std::string> error_paths_;
};

}  // namespace

LoadedConfig load_config(const std::filesystem::path& file,
                         const std::vector<ConfigOverride>& overrides) {
  LoadedConfig result;
  result.file = file;
  Loader loader(&result);
  if (!file.empty() && !loader.read_file(file)) {
    return result;
  }
  loader.apply_overrides(overrides);
  loader.apply_fields(file);
  loader.check_required(file.empty() ? kCommandLine : file.string());
  if (result.ok()) {
    loader.warn_unused_sections();
  }
  // In file order, so the report reads top to bottom; command-line problems (line 0) first.
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigIssue& a, const ConfigIssue& b) { return a.line < b.line; });
  return result;
}

}  // namespace disaggd::core
