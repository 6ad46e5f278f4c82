// Generated sparse classification problems for benchmarks and tests.
#pragma once

#include <cstdint>
#include <vector>

namespace hogwild {

struct SyntheticOptions {
    std::int64_t n_rows = 1000000;
    std::int64_t n_features = 100000;
    std::int64_t nnz_per_row = 40;   // distinct features per row
    bool zipf = true;                // feature popularity: Zipf by rank, else uniform
    double zipf_exponent = 1.1;
    double label_noise = 0.05;       // fraction of flipped labels
    std::uint64_t seed = 0;
};

// CSR arrays (float32 values 1/sqrt(nnz_per_row), int32 indices) and labels
// -1/+1 from a hidden Gaussian weight vector. Feature ranks are mapped to
// indices by a random permutation, so hot features are scattered over the
// weight vector as in real data. Rows are generated in parallel in fixed
// chunks with their own seeds: the result depends on the seed only.
struct SyntheticProblem {
    std::vector<float> data;
    std::vector<std::int32_t> indices;
    std::vector<std::int32_t> indptr;  // total nonzeros must stay below 2^31
    std::vector<double> y;
};

// Throws std::invalid_argument for sizes it cannot represent.
SyntheticProblem make_sparse_classification(const SyntheticOptions& options, int n_threads);

}  // namespace hogwild
