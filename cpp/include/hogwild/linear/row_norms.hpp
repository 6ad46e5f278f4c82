// The largest squared Euclidean norm of a matrix's rows: the smoothness
// constant behind learning_rate="auto" (python/hogwild/_step_size.py).
#pragma once

#include <algorithm>
#include <cstdint>

namespace hogwild {

// max_i ||x_i||^2 in double precision, one pass over X's stored values in
// each row's order. A dense row adds its zeros, which change no sum: a dense
// X and its CSR form (with sorted indices) give the same value. Values whose
// squares overflow give infinity.
template <class View>
double largest_squared_row_norm(const View& X) {
    double largest = 0.0;
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        const auto row = X.row(i);
        double sum = 0.0;
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const double value = row.value(k);
            sum += value * value;
        }
        largest = std::max(largest, sum);
    }
    return largest;
}

}  // namespace hogwild
