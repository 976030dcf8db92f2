// Printing a config back as YAML.
#include "core/config/config_printer.h"

#include <sstream>
#include <vector>

#include "core/config/config_schema.h"

namespace disaggd::core {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) {
      return parts;
    }
    start = dot + 1;
  }
}

}  // namespace

std::string config_to_yaml(const Config& config) {
  std::ostringstream out;
  std::vector<std::string> open_sections;
  for (const FieldSpec& field : config_fields()) {
    std::vector<std::string> parts = split_path(field.path);
    const std::string key = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < parts.size() && common < open_sections.size() &&
           parts[common] == open_sections[common]) {
      ++common;
    }
    open_sections.resize(common);
    for (std::size_t depth = common; depth < parts.size(); ++depth) {
      out << std::string(depth * 2, ' ') << parts[depth] << ":\n";
      open_sections.push_back(parts[depth]);
    }
    const std::string value = field.show(config);
    const bool secret = field.shape == FieldShape::kSecret;
    out << std::string(parts.size() * 2, ' ') << key << ": "
        << (secret ? "null  # " + value : value) << "\n";
  }
  return out.str();
}

}  // namespace disaggd::core
