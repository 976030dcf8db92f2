// Python's string semantics on UTF-8 text: code points, whitespace, strip/split/replace, repr() of
// strings and floats. The chat template interpreter uses them so that its output matches Jinja's
// (which runs on Python strings) byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disaggd::engine::jinja {

/// Decodes the code point starting at `text[pos]` and moves `pos` past it. A byte that does not
/// start a valid UTF-8 sequence decodes as itself (0x80..0xFF), one byte long.
char32_t next_code_point(std::string_view text, std::size_t& pos);

/// Appends `cp` to `out` as UTF-8.
void append_utf8(std::string& out, char32_t cp);

/// Byte offset of every code point of `text`, followed by text.size().
std::vector<std::size_t> code_point_offsets(std::string_view text);

/// Number of code points in `text` (Python's len() of the string).
std::size_t code_point_count(std::string_view text);

/// Python's str.isspace() for one code point (also what `\s` matches in Python's `re`).
bool is_py_space(char32_t cp);

/// str.strip()/lstrip()/rstrip() without arguments: removes Unicode whitespace.
std::string_view py_strip(std::string_view text, bool left, bool right);

/// str.strip(chars)/lstrip(chars)/rstrip(chars): removes any code point of `chars`.
std::string_view py_strip_chars(std::string_view text, std::string_view chars, bool left,
                                bool right);

/// str.split(sep, maxsplit) (`sep` unset: split on runs of whitespace); maxsplit < 0: no limit.
/// `sep` must not be empty.
std::vector<std::string> py_split(std::string_view text, std::optional<std::string_view> sep,
                                  long long maxsplit);

/// str.rsplit(sep, maxsplit), splitting from the right.
std::vector<std::string> py_rsplit(std::string_view text, std::optional<std::string_view> sep,
                                   long long maxsplit);

/// str.splitlines(): lines without their line breaks (\n, \r, \r\n, \v, \f, \x1c-\x1e, \x85,
/// U+2028, U+2029).
std::vector<std::string> py_splitlines(std::string_view text);

/// str.replace(old, new, count); count < 0 replaces all. An empty `old` inserts `replacement`
/// between code points, as Python does.
std::string py_replace(std::string_view text, std::string_view old, std::string_view replacement,
                       long long count);

/// Number of non-overlapping occurrences of `needle` (str.count); an empty needle counts
/// code points + 1.
std::size_t py_count(std::string_view text, std::string_view needle);

/// str.upper()/lower() for ASCII letters; other code points are kept as they are.
std::string ascii_upper(std::string_view text);
std::string ascii_lower(std::string_view text);

/// str.capitalize(): first code point upper case, the rest lower case (ASCII letters only).
std::string py_capitalize(std::string_view text);

/// Python's repr() of a string: single quotes unless the text holds ' and no ", with escapes.
std::string py_repr_string(std::string_view text);

/// Python's repr()/str() of a float: the shortest text that reads back the same double,
/// "1.0", "0.1", "1e+16", "1e-05", "inf", "nan".
std::string py_float_repr(double value);

/// Substring of `text` by code point indices [begin, end).
std::string code_point_substr(std::string_view text, std::size_t begin, std::size_t end);

}  // namespace disaggd::engine::jinja
