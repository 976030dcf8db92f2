// Python's json.dumps() text.
#include "engine/chat/python_json.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/chat/python_text.h"

namespace disaggd::engine::jinja {
namespace {

void append_hex4(std::string& out, unsigned value) {
  std::array<char, 16> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "\\u%04x", value);
  out += buffer.data();
}

void append_string(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = next_code_point(text, pos);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (ensure_ascii && cp >= 0x7F)) {
      if (cp >= 0x10000) {
        const char32_t v = cp - 0x10000;
        append_hex4(out, static_cast<unsigned>(0xD800 + (v >> 10)));
        append_hex4(out, static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        append_hex4(out, static_cast<unsigned>(cp));
      }
    } else {
      append_utf8(out, cp);
    }
  }
  out += '"';
}

class Dumper {
 public:
  explicit Dumper(const JsonDumpOptions& options)
      : options_(options),
        item_separator_(options.item_separator.value_or(options.indent ? "," : ", ")) {}

  void dump(std::string& out, const Json& value, std::size_t level) {
    switch (value.type()) {
      case Json::value_t::null:
        out += "null";
        return;
      case Json::value_t::boolean:
        out += value.get<bool>() ? "true" : "false";
        return;
      case Json::value_t::number_integer:
        out += std::to_string(value.get<std::int64_t>());
        return;
      case Json::value_t::number_unsigned:
        out += std::to_string(value.get<std::uint64_t>());
        return;
      case Json::value_t::number_float: {
        const double number = value.get<double>();
        if (std::isnan(number)) {
          out += "NaN";
        } else if (std::isinf(number)) {
          out += number < 0 ? "-Infinity" : "Infinity";
        } else {
          out += py_float_repr(number);
        }
        return;
      }
      case Json::value_t::string:
        append_string(out, value.get_ref<const std::string&>(), options_.ensure_ascii);
        return;
      case Json::value_t::array: {
        if (value.empty()) {
          out += "[]";
          return;
        }
        out += '[';
        bool first = true;
        for (const Json& item : value) {
          out += first ? "" : item_separator_;
          first = false;
          newline(out, level + 1);
          dump(out, item, level + 1);
        }
        newline(out, level);
        out += ']';
        return;
      }
      case Json::value_t::object: {
        if (value.empty()) {
          out += "{}";
          return;
        }
        std::vector<std::pair<const std::string*, const Json*>> members;
        members.reserve(value.size());
        for (auto it = value.begin(); it != value.end(); ++it) {
          members.emplace_back(&it.key(), &it.value());
        }
        if (options_.sort_keys) {
          std::stable_sort(members.begin(), members.end(),
                           [](const auto& a, const auto& b) { return *a.first < *b.first; });
        }
        out += '{';
        bool first = true;
        for (const auto& [key, item] : members) {
          out += first ? "" : item_separator_;
          first = false;
          newline(out, level + 1);
          append_string(out, *key, options_.ensure_ascii);
          out += options_.key_separator;
          dump(out, *item, level + 1);
        }
        newline(out, level);
        out += '}';
        return;
      }
      default:
        out += "null";
        return;
    }
  }

 private:
  void newline(std::string& out, std::size_t level) const {
    if (!options_.indent) {
      return;
    }
    out += '\n';
    for (std::size_t i = 0; i < level; ++i) {
      out += *options_.indent;
    }
  }

  const JsonDumpOptions& options_;
  std::string item_separator_;
};

}  // namespace

std::string py_json_dumps(const Json& value, const JsonDumpOptions& options) {
  std::string out;
  Dumper(options).dump(out, value, 0);
  return out;
}

}  // namespace disaggd::engine::jinja
