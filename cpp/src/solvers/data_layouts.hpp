// Every data layout the solvers are compiled for: float32/float64 values,
// int32/int64 CSR indices, or dense rows. HOGWILD_INSTANTIATE_SOLVER(f)
// instantiates the registered entry point f (see solvers.hpp) for each.
#pragma once

#include <cstdint>

#include "hogwild/solvers.hpp"
#include "hogwild/core/views.hpp"

namespace hogwild::layouts {
using CsrF32I32 = CsrView<float, std::int32_t>;
using CsrF32I64 = CsrView<float, std::int64_t>;
using CsrF64I32 = CsrView<double, std::int32_t>;
using CsrF64I64 = CsrView<double, std::int64_t>;
using DenseF32 = DenseView<float>;
using DenseF64 = DenseView<double>;
}  // namespace hogwild::layouts

#define HOGWILD_INSTANTIATE_TRAIN(function, View) \
    template std::unique_ptr<TrainingSession> function<View>(const View&, const Targets&, const TrainConfig&, \
                                                             const ModelState&);

#define HOGWILD_INSTANTIATE_SOLVER(function)                           \
    namespace hogwild {                                                \
    HOGWILD_INSTANTIATE_TRAIN(function, ::hogwild::layouts::CsrF32I32) \
    HOGWILD_INSTANTIATE_TRAIN(function, ::hogwild::layouts::CsrF32I64) \
    HOGWILD_INSTANTIATE_TRAIN(function, ::hogwild::layouts::CsrF64I32) \
    HOGWILD_INSTANTIATE_TRAIN(function, ::hogwild::layouts::CsrF64I64) \
    HOGWILD_INSTANTIATE_TRAIN(function, ::hogwild::layouts::DenseF32)  \
    HOGWILD_INSTANTIATE_TRAIN(function, ::hogwild::layouts::DenseF64)  \
    }
