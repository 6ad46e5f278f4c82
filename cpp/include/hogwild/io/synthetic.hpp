// Generated sparse classification and regression problems for benchmarks and tests.
#pragma once

#include <cstdint>
#include <vector>

#include "hogwild/core/interrupted.hpp"

namespace hogwild {

struct SyntheticOptions {
    std::int64_t n_rows = 1000000;
    std::int64_t n_features = 100000;
    std::int64_t nnz_per_row = 40;   // distinct features per row
    bool zipf = true;                // feature popularity: Zipf by rank, else uniform
    double zipf_exponent = 1.1;
    bool regression = false;         // real targets instead of -1/+1 labels
    double noise = 0.05;             // classification: fraction of flipped labels;
                                     // regression: standard deviation of Gaussian noise
    std::uint64_t seed = 0;
};

// CSR arrays (float32 values 1/sqrt(nnz_per_row), int32 indices) and targets
// from a hidden Gaussian weight vector `coef`: labels sign(x . coef) (some
// flipped), or x . coef plus Gaussian noise. Feature ranks are mapped to
// indices by a random permutation, so hot features are scattered over the
// weight vector as in real data. Rows are generated in parallel in fixed
// chunks with their own seeds: the result depends on the seed only.
struct SyntheticProblem {
    std::vector<float> data;
    std::vector<std::int32_t> indices;
    std::vector<std::int32_t> indptr;  // total nonzeros must stay below 2^31
    std::vector<double> y;
    std::vector<double> coef;  // the hidden weights, one per feature
};

// Throws std::invalid_argument for sizes it cannot represent, Interrupted
// when `interrupted` (polled by the calling thread between chunks of rows;
// may be empty) returns true.
SyntheticProblem make_sparse_problem(const SyntheticOptions& options, int n_threads,
                                     const InterruptPoll& interrupted = {});

}  // namespace hogwild
