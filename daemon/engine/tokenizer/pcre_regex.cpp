// PCRE2 wrapper: compile once, match with per-call match data (pcre2_code is read-only and shared).
#include "engine/tokenizer/pcre_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace disaggd::engine {
namespace {

std::string pcre_error_text(int code) {
  PCRE2_UCHAR buffer[256];
  const int length = pcre2_get_error_message(code, buffer, sizeof(buffer));
  if (length < 0) {
    return "PCRE2 error " + std::to_string(code);
  }
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

}  // namespace

void PcreRegex::CodeDeleter::operator()(pcre2_real_code_8* code) const {
  pcre2_code_free(code);
}

core::Result<PcreRegex> PcreRegex::compile(std::string_view pattern) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "cannot compile regular expression '" + std::string(pattern) +
                            "' at offset " + std::to_string(error_offset) + ": " +
                            pcre_error_text(error_code));
  }
  // JIT is an optimisation: without it (an architecture PCRE2 cannot JIT for, or SELinux denying
  // executable memory) the interpreter gives the same matches.
  const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return PcreRegex(std::string(pattern), std::shared_ptr<pcre2_code>(code, CodeDeleter()), jit);
}

core::Result<std::vector<std::pair<std::size_t, std::size_t>>> PcreRegex::find_all(
    std::string_view subject) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr));
  if (data == nullptr) {
    return core::Status(core::StatusCode::kOutOfMemory, "cannot allocate PCRE2 match data");
  }
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  std::size_t offset = 0;
  while (offset <= subject.size()) {
    // The caller checked the subject once; PCRE2 need not re-check it at every offset.
    int rc = pcre2_match(code_.get(), bytes, subject.size(), offset, PCRE2_NO_UTF_CHECK, data.get(),
                         nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      // The JIT's machine stack is small; the interpreter keeps its backtracking on the heap.
      rc = pcre2_match(code_.get(), bytes, subject.size(), offset,
                       PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data.get(), nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
      break;
    }
    if (rc < 0) {
      return core::Status(core::StatusCode::kInternal, "matching regular expression '" + pattern_ +
                                                           "' failed: " + pcre_error_text(rc));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    const std::size_t start = ovector[0];
    const std::size_t end = ovector[1];
    if (end > start) {
      matches.emplace_back(start, end);
      offset = end;
    } else {
      // An empty match: step over one code point so the scan always advances.
      offset = end + 1;
      while (offset < subject.size() &&
             (static_cast<unsigned char>(subject[offset]) & 0xC0) == 0x80) {
        ++offset;
      }
    }
  }
  return matches;
}

}  // namespace disaggd::engine
