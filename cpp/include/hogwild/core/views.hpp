// Non-owning views of the caller's training data. Nothing here copies or
// converts: a float32 SciPy CSR matrix is read in place.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hogwild/core/platform.hpp"

namespace hogwild {

// One row of a sparse matrix: `nnz` (index, value) pairs.
template <class Value, class Index>
struct SparseRow {
    const Value* values;
    const Index* indices;
    std::int64_t nnz;

    std::int64_t size() const { return nnz; }
    std::int64_t index(std::int64_t k) const { return static_cast<std::int64_t>(indices[k]); }
    double value(std::int64_t k) const { return static_cast<double>(values[k]); }
};

// One row of a dense matrix: every column is present.
template <class Value>
struct DenseRow {
    const Value* values;
    std::int64_t n_cols;

    std::int64_t size() const { return n_cols; }
    std::int64_t index(std::int64_t k) const { return k; }
    double value(std::int64_t k) const { return static_cast<double>(values[k]); }
};

// Compressed sparse rows (SciPy's CSR layout). Indices are assumed valid:
// the Python layer checks them before anything reaches the core.
template <class Value, class Index>
struct CsrView {
    using value_type = Value;
    using index_type = Index;  // of the column indices and the row offsets
    using Row = SparseRow<Value, Index>;

    const Value* data = nullptr;
    const Index* indices = nullptr;
    const Index* indptr = nullptr;  // n_rows + 1 entries
    std::int64_t n_rows = 0;
    std::int64_t n_cols = 0;

    Row row(std::int64_t i) const {
        const std::int64_t begin = static_cast<std::int64_t>(indptr[i]);
        const std::int64_t end = static_cast<std::int64_t>(indptr[i + 1]);
        return Row{data + begin, indices + begin, end - begin};
    }
    std::int64_t nnz() const { return static_cast<std::int64_t>(indptr[n_rows]); }

    // Ask the memory system for row i's bytes before they are needed.
    void prefetch_row(std::int64_t i) const {
        const std::int64_t begin = static_cast<std::int64_t>(indptr[i]);
        const std::int64_t end = static_cast<std::int64_t>(indptr[i + 1]);
        for (std::int64_t k = begin; k < end; k += 64 / sizeof(Index)) HOGWILD_PREFETCH(indices + k);
        for (std::int64_t k = begin; k < end; k += 64 / sizeof(Value)) HOGWILD_PREFETCH(data + k);
    }
    void prefetch_row_start(std::int64_t i) const { HOGWILD_PREFETCH(indptr + i); }
};

// C-contiguous dense matrix.
template <class Value>
struct DenseView {
    using value_type = Value;
    using Row = DenseRow<Value>;

    const Value* data = nullptr;
    std::int64_t n_rows = 0;
    std::int64_t n_cols = 0;

    Row row(std::int64_t i) const { return Row{data + i * n_cols, n_cols}; }
    std::int64_t nnz() const { return n_rows * n_cols; }
    void prefetch_row(std::int64_t i) const {
        const Value* start = data + i * n_cols;
        for (std::int64_t k = 0; k < n_cols; k += 64 / sizeof(Value)) HOGWILD_PREFETCH(start + k);
    }
    void prefetch_row_start(std::int64_t) const {}
};

}  // namespace hogwild
