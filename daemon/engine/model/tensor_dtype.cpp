// Element types of weight tensors.
#include "engine/model/tensor_dtype.h"

#include <array>
#include <utility>

#include "disaggd/sdk/model.hpp"

namespace disaggd::engine {
namespace {

constexpr std::array<std::pair<std::string_view, disaggd_dtype>, 6> kDtypes = {{
    {"F32", DISAGGD_DTYPE_F32},
    {"F16", DISAGGD_DTYPE_F16},
    {"BF16", DISAGGD_DTYPE_BF16},
    {"I32", DISAGGD_DTYPE_I32},
    {"I64", DISAGGD_DTYPE_I64},
    {"U8", DISAGGD_DTYPE_U8},
}};

}  // namespace

std::optional<disaggd_dtype> dtype_from_safetensors(std::string_view name) {
  for (const auto& [text, dtype] : kDtypes) {
    if (text == name) {
      return dtype;
    }
  }
  return std::nullopt;
}

std::string_view safetensors_dtype_name(disaggd_dtype dtype) {
  for (const auto& [text, value] : kDtypes) {
    if (value == dtype) {
      return text;
    }
  }
  return "?";
}

std::size_t dtype_size(disaggd_dtype dtype) {
  return sdk::dtype_size(dtype);  // the one table plugins use too
}

bool is_float_dtype(disaggd_dtype dtype) {
  return dtype == DISAGGD_DTYPE_F32 || dtype == DISAGGD_DTYPE_F16 || dtype == DISAGGD_DTYPE_BF16;
}

}  // namespace disaggd::engine
