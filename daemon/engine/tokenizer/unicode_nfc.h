// Unicode Normalization Form C (canonical composition), for the NFC normalizer of tokenizer.json.
#pragma once

#include <string>
#include <string_view>

namespace disaggd::engine {

/// `text` (well-formed UTF-8) in Unicode Normalization Form C. Text that is already in NFC (the
/// usual case, and always so for text below U+0300) is returned unchanged after a quick scan.
/// Tables come from Unicode 14.0 (Debian 12's Python); see gen_unicode_nfc_data.py.
std::string nfc_normalize(std::string_view text);

/// The Unicode version of the NFC tables.
std::string_view nfc_unicode_version();

}  // namespace disaggd::engine
