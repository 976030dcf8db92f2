// `disaggd plugins`.
#include "app/plugin_listing.h"

#include <algorithm>
#include <iomanip>
#include <string>
#include <vector>

namespace disaggd::app {
namespace {

struct Row {
  std::string kind, name, version, abi, file, problem;
};

}  // namespace

int print_plugin_listing(core::PluginHost& host, std::ostream& out) {
  const core::PluginCatalog& catalog = host.catalog();
  out << "Plugin directories (in search order):\n";
  for (const auto& dir : catalog.dirs()) {
    std::error_code ec;
    out << "  " << dir.string() << (std::filesystem::is_directory(dir, ec) ? "" : " (missing)")
        << "\n";
  }
  for (const std::string& warning : catalog.warnings()) {
    out << "warning: " << warning << "\n";
  }

  std::vector<Row> rows;
  int failures = 0;
  for (const core::PluginCandidate& candidate : catalog.candidates()) {
    Row row{std::string(core::plugin_kind_name(candidate.kind)),
            candidate.name,
            "-",
            "-",
            candidate.file.string(),
            ""};
    auto library = host.load_candidate(candidate);
    if (library.ok()) {
      const core::PluginInfo& info = (*library)->info();
      row.version = info.version;
      row.abi = std::to_string(info.abi_major) + "." + std::to_string(info.abi_minor);
    } else {
      row.problem = library.status().message();
      ++failures;
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    out << "\nNo plugins found.\n";
    return 0;
  }

  std::size_t kind_width = 4, name_width = 4, version_width = 7;
  for (const Row& row : rows) {
    kind_width = std::max(kind_width, row.kind.size());
    name_width = std::max(name_width, row.name.size());
    version_width = std::max(version_width, row.version.size());
  }
  out << "\n"
      << std::left << std::setw(static_cast<int>(kind_width) + 2) << "KIND"
      << std::setw(static_cast<int>(name_width) + 2) << "NAME"
      << std::setw(static_cast<int>(version_width) + 2) << "VERSION" << std::setw(5) << "ABI"
      << "FILE\n";
  for (const Row& row : rows) {
    out << std::setw(static_cast<int>(kind_width) + 2) << row.kind
        << std::setw(static_cast<int>(name_width) + 2) << row.name
        << std::setw(static_cast<int>(version_width) + 2) << row.version << std::setw(5) << row.abi
        << row.file << "\n";
    if (!row.problem.empty()) {
      out << "  error: " << row.problem << "\n";
    }
  }
  return failures;
}

}  // namespace disaggd::app
