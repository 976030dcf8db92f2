/// @file disaggd/sdk/views.hpp
/// C++ plugin SDK: conversions between the ABI's borrowed views and std::string_view.
#ifndef DISAGGD_SDK_VIEWS_HPP
#define DISAGGD_SDK_VIEWS_HPP

#include <string_view>

#include "disaggd/plugin.h"

namespace disaggd::sdk {

/// Borrowed ABI text as std::string_view (same lifetime as the view).
inline std::string_view to_string_view(disaggd_string_view view) noexcept {
  return view.size == 0 ? std::string_view() : std::string_view(view.data, view.size);
}

/// std::string_view as ABI text (same lifetime as the string it points into).
inline disaggd_string_view to_abi_view(std::string_view view) noexcept {
  return disaggd_string_view{view.data(), view.size()};
}

}  // namespace disaggd::sdk

#endif  // DISAGGD_SDK_VIEWS_HPP
