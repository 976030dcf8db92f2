// Element types of weight tensors: safetensors names, sizes and the ABI's disaggd_dtype.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "disaggd/model.h"

namespace disaggd::engine {

/// The safetensors dtype names this daemon reads, in the order error messages list them.
inline constexpr std::string_view kSupportedSafetensorsDtypes = "F32, F16, BF16, I32, I64, U8";

/// The dtype of a safetensors dtype name ("F32", "BF16", ...), or nothing when unsupported.
std::optional<disaggd_dtype> dtype_from_safetensors(std::string_view name);

/// The safetensors name of `dtype` ("F32"); "?" for a value outside the enum.
std::string_view safetensors_dtype_name(disaggd_dtype dtype);

/// Bytes per element of `dtype`; 0 for a value outside the enum.
std::size_t dtype_size(disaggd_dtype dtype);

/// True for the floating-point dtypes weights may have (F32, F16, BF16).
bool is_float_dtype(disaggd_dtype dtype);

}  // namespace disaggd::engine
