// The config schema: every key of the YAML file, its type, default, command-line flags and help.
// The loader, the command line, `--help` and docs/configuration.md all derive from this table.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/config.h"
#include "core/config/config_values.h"

namespace disaggd::core {

/// How a field's value is written, for the reference and for command-line handling.
enum class FieldShape {
  kScalar,     ///< One value; a flag sets it.
  kList,       ///< A list; a flag may be repeated or take a comma-separated list.
  kOptionMap,  ///< name: value pairs; a flag takes name=value and may be repeated.
  kSecret,     ///< A string, {env: NAME} or {file: PATH}; a flag takes the literal string.
};

/// One leaf key of the config.
struct FieldSpec {
  std::string path;  ///< Dotted key, e.g. "server.port".
  FieldShape shape = FieldShape::kScalar;
  std::string type;                  ///< For the reference: "integer 1..65535", "one of: ...".
  std::string help;                  ///< One or two sentences.
  std::string used_by;               ///< Roles that read it, for the reference.
  bool required = false;             ///< Must be present in every config.
  std::set<Role> required_for;       ///< Must be present (and non-empty) for these roles.
  std::vector<std::string> aliases;  ///< Extra command-line spellings (LMDeploy's among them).
  /// Stores `node` into `config`; returns an empty string or what was expected.
  std::function<std::string(const YAML::Node& node, const ValueContext& context, Config& config)>
      apply;
  /// The field's value in `config` as YAML text (secrets masked).
  std::function<std::string(const Config& config)> show;
  /// True when the field holds no value in `config` (for required_for checks).
  std::function<bool(const Config& config)> is_empty;

  /// The generated flag, without dashes: the path with '.' and '_' turned into '-'.
  std::string flag() const;
};

/// All fields, in reference order.
const std::vector<FieldSpec>& config_fields();

/// The field with `path`, or null.
const FieldSpec* find_field(const std::string& path);

/// The field whose generated flag or alias is `flag` (without dashes), or null.
const FieldSpec* find_field_by_flag(const std::string& flag);

}  // namespace disaggd::core
