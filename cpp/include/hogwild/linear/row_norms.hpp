// The largest squared Euclidean norm of a matrix's rows: the smoothness
// constant behind learning_rate="auto" (python/hogwild/_step_size.py); and
// scan_csr, the one pass over a CSR matrix's entries that its validation
// needs, with csr_stores_duplicates for the matrices whose rows it found
// unsorted (python/hogwild/_validation.py).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "hogwild/core/views.hpp"

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

// What validating a CSR matrix needs from its stored entries, in one pass:
// the range of its column indices, the largest squared row norm (an
// infinity or NaN there says a value is not finite, or so large that its
// square overflows) and whether every row's indices increase strictly (no
// row then stores a column twice; where one does, the squares of its pieces
// do not add up to its value's square). Where X stores nothing:
// smallest_index 0, largest -1.
struct CsrScan {
    std::int64_t smallest_index = 0;
    std::int64_t largest_index = -1;
    double largest_squared_row_norm = 0.0;
    bool rows_increasing = true;
};

// X's indptr must be valid (non-decreasing from 0 to nnz): the column
// indices are compared, never used to index anything. Rows are split over
// n_threads threads; each row is summed in its own order, so the result is
// the one-thread result. (NumPy's min, max and sum, and the row norms,
// were four passes: 0.08 s for 40M entries.)
template <class Value, class Index>
CsrScan scan_csr(const CsrView<Value, Index>& X, int n_threads) {
    std::int64_t smallest = std::numeric_limits<std::int64_t>::max();
    std::int64_t largest = std::numeric_limits<std::int64_t>::min();
    double largest_norm = 0.0;
    bool not_a_number = false;
    bool increasing = true;
#pragma omp parallel for num_threads(n_threads) schedule(static) \
    reduction(min : smallest) reduction(max : largest, largest_norm) reduction(|| : not_a_number) \
    reduction(&& : increasing)
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        const auto row = X.row(i);
        double sum = 0.0;
        std::int64_t previous = std::numeric_limits<std::int64_t>::min();
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const auto j = static_cast<std::int64_t>(row.index(k));
            smallest = std::min(smallest, j);
            largest = std::max(largest, j);
            increasing = increasing && j > previous;
            previous = j;
            const double value = row.value(k);
            sum += value * value;
        }
        // (max drops a NaN: it is kept apart)
        not_a_number = not_a_number || sum != sum;
        largest_norm = std::max(largest_norm, sum);
    }
    CsrScan scan;
    if (X.nnz() > 0) {
        scan.smallest_index = smallest;
        scan.largest_index = largest;
    }
    scan.largest_squared_row_norm = not_a_number ? std::numeric_limits<double>::quiet_NaN() : largest_norm;
    scan.rows_increasing = increasing;
    return scan;
}

// Whether a row of X stores a column twice, looking only at the rows whose
// indices do not increase strictly: each sorted in a per-thread buffer of
// the longest row's length (a probe through SciPy's sum_duplicates copied
// the whole index arrays: 0.5 GB for 1M rows of 40 int64 indices, on every
// fit of an unsorted matrix). X's indptr must be valid.
template <class Value, class Index>
bool csr_stores_duplicates(const CsrView<Value, Index>& X, int n_threads) {
    std::int64_t longest = 0;
    for (std::int64_t i = 0; i < X.n_rows; ++i) longest = std::max(longest, X.row(i).size());
    // (allocated here: an exception inside the parallel region would end the process)
    std::vector<std::vector<std::int64_t>> buffers(static_cast<std::size_t>(std::max(1, n_threads)),
                                                   std::vector<std::int64_t>(static_cast<std::size_t>(longest)));
    bool duplicated = false;
#pragma omp parallel for num_threads(std::max(1, n_threads)) schedule(dynamic, 1024) reduction(|| : duplicated)
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        const auto row = X.row(i);
        bool increasing = true;
        for (std::int64_t k = 1; k < row.size() && increasing; ++k)
            increasing = static_cast<std::int64_t>(row.index(k)) > static_cast<std::int64_t>(row.index(k - 1));
        if (increasing) continue;
        auto& buffer = buffers[static_cast<std::size_t>(omp_get_thread_num())];
        for (std::int64_t k = 0; k < row.size(); ++k)
            buffer[static_cast<std::size_t>(k)] = static_cast<std::int64_t>(row.index(k));
        const auto end = buffer.begin() + row.size();
        std::sort(buffer.begin(), end);
        duplicated = duplicated || std::adjacent_find(buffer.begin(), end) != end;
    }
    return duplicated;
}

}  // namespace hogwild
