#include "hogwild/io/synthetic.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace hogwild {

namespace {

constexpr std::int64_t kRowsPerChunk = 4096;
// draws a row may take before its last features are the most popular ones not drawn
// (a uniform popularity needs about ln(nnz) draws a feature when nnz = n_features)
constexpr std::int64_t kDrawsPerNonzero = 64;

std::uint64_t mix(std::uint64_t seed, std::uint64_t stream) {
    // splitmix64 of (seed, stream): independent generator seeds per chunk
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

SyntheticProblem make_sparse_problem(const SyntheticOptions& o, int n_threads, const InterruptPoll& interrupted) {
    if (o.n_rows < 1 || o.n_features < 1 || o.nnz_per_row < 1)
        throw std::invalid_argument("n_samples, n_features and nnz_per_row must be >= 1");
    const std::int64_t nnz = std::min(o.nnz_per_row, o.n_features);
    constexpr std::int64_t kMaxNonzeros = (std::int64_t{1} << 31) - 1;
    if (o.n_rows > kMaxNonzeros / nnz || o.n_features > kMaxNonzeros)  // (no product: it could overflow)
        throw std::invalid_argument("at most 2^31 - 1 nonzeros and features");
    std::vector<double> cumulative(static_cast<std::size_t>(o.n_features));
    double total = 0.0;
    for (std::int64_t r = 0; r < o.n_features; ++r) {
        total += o.zipf ? std::pow(static_cast<double>(r + 1), -o.zipf_exponent) : 1.0;
        cumulative[static_cast<std::size_t>(r)] = total;
    }
    std::mt19937_64 setup(mix(o.seed, ~0ull));
    std::vector<std::int32_t> feature_of_rank(static_cast<std::size_t>(o.n_features));
    std::iota(feature_of_rank.begin(), feature_of_rank.end(), 0);
    std::shuffle(feature_of_rank.begin(), feature_of_rank.end(), setup);
    std::normal_distribution<double> normal;
    std::vector<double> truth(static_cast<std::size_t>(o.n_features));
    for (auto& w : truth) w = normal(setup);

    if (interrupted && interrupted()) throw Interrupted{};
    SyntheticProblem p;
    const auto total_nnz = static_cast<std::size_t>(o.n_rows * nnz);
    const auto value = static_cast<float>(1.0 / std::sqrt(static_cast<double>(nnz)));
    p.data.assign(total_nnz, value);
    p.indices.resize(total_nnz);
    p.indptr.resize(static_cast<std::size_t>(o.n_rows + 1));
    p.y.resize(static_cast<std::size_t>(o.n_rows));
    const std::int64_t n_chunks = (o.n_rows + kRowsPerChunk - 1) / kRowsPerChunk;

    std::atomic<bool> stop{false};
#pragma omp parallel for num_threads(std::max(1, n_threads)) schedule(dynamic)
    for (std::int64_t chunk = 0; chunk < n_chunks; ++chunk) {
        // the calling thread (0) polls; every thread skips the chunks left once it says stop
        if (interrupted && omp_get_thread_num() == 0 && interrupted()) stop.store(true, std::memory_order_relaxed);
        if (stop.load(std::memory_order_relaxed)) continue;
        std::mt19937_64 rng(mix(o.seed, static_cast<std::uint64_t>(chunk)));
        std::uniform_real_distribution<double> popularity(0.0, total);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::normal_distribution<double> noise;
        const std::int64_t end = std::min(o.n_rows, (chunk + 1) * kRowsPerChunk);
        for (std::int64_t i = chunk * kRowsPerChunk; i < end; ++i) {
            std::int32_t* row = p.indices.data() + i * nnz;
            std::int64_t filled = 0;
            for (std::int64_t draws = 0; filled < nnz && draws < kDrawsPerNonzero * nnz; ++draws) {
                const auto rank =
                    std::lower_bound(cumulative.begin(), cumulative.end(), popularity(rng)) - cumulative.begin();
                const auto j =
                    feature_of_rank[static_cast<std::size_t>(std::min<std::int64_t>(rank, o.n_features - 1))];
                if (std::find(row, row + filled, j) == row + filled) row[filled++] = j;  // distinct features
            }
            // Where the draws did not find nnz distinct features, the most
            // popular ones not drawn: with a steep popularity the rarest
            // features' share lies below the running total's rounding, they
            // can never be drawn, and the draws ran forever (zipf_exponent=30:
            // a hang that Ctrl-C, polled between chunks, could not end).
            for (std::int64_t rank = 0; filled < nnz; ++rank) {
                const auto j = feature_of_rank[static_cast<std::size_t>(rank)];
                if (std::find(row, row + filled, j) == row + filled) row[filled++] = j;
            }
            std::sort(row, row + nnz);
            double margin = 0.0;
            for (std::int64_t k = 0; k < nnz; ++k) margin += truth[static_cast<std::size_t>(row[k])];
            double target;
            if (o.regression) {
                target = margin * static_cast<double>(value) + o.noise * noise(rng);
            } else {
                target = margin > 0.0 ? 1.0 : -1.0;
                if (unit(rng) < o.noise) target = -target;
            }
            p.y[static_cast<std::size_t>(i)] = target;
            p.indptr[static_cast<std::size_t>(i + 1)] = static_cast<std::int32_t>((i + 1) * nnz);
        }
    }
    if (stop.load()) throw Interrupted{};
    p.indptr[0] = 0;
    p.coef = std::move(truth);
    return p;
}

}  // namespace hogwild
