// Every data layout the solvers are compiled for: float32/float64 values,
// int32/int64 CSR indices, or dense rows. Used to instantiate templates.
#pragma once

#include <cstdint>

#include "hogwild/views.hpp"

namespace hogwild::layouts {
using CsrF32I32 = CsrView<float, std::int32_t>;
using CsrF32I64 = CsrView<float, std::int64_t>;
using CsrF64I32 = CsrView<double, std::int32_t>;
using CsrF64I64 = CsrView<double, std::int64_t>;
using DenseF32 = DenseView<float>;
using DenseF64 = DenseView<double>;
}  // namespace hogwild::layouts

#define HOGWILD_FOR_EACH_LAYOUT(MACRO)       \
    MACRO(::hogwild::layouts::CsrF32I32)     \
    MACRO(::hogwild::layouts::CsrF32I64)     \
    MACRO(::hogwild::layouts::CsrF64I32)     \
    MACRO(::hogwild::layouts::CsrF64I64)     \
    MACRO(::hogwild::layouts::DenseF32)      \
    MACRO(::hogwild::layouts::DenseF64)
