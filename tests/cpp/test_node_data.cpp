// solvers/node_data.hpp: numa_data="shard" gives each node a copy of its
// share of the rows (rows drawn at random with shuffle, a contiguous range
// in data order without), every row in exactly one shard; "replicate"
// gives every node all rows; a copy's row r holds the caller's row
// source(r) value for value, and its label, weight and validation flag.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "hogwild/runtime/thread_placement.hpp"
#include "solvers/node_data.hpp"

using namespace hogwild;

namespace {

// 2 nodes of 2 threads each, unpinned (the CPUs are made up).
struct TwoNodes {
    ThreadPlacement placement;
    NodeReplicas replicas;
    std::vector<double> start{0.0, 0.0};
    TwoNodes() {
        Topology topology;
        topology.nodes = {NumaNode{0, {-1, -1}, 2, {10, 20}}, NumaNode{1, {-1, -1}, 2, {20, 10}}};
        placement = place_threads(topology, 4, true);
        replicas = NodeReplicas(placement, false, 2, start.data(), {1.0f, 1.0f}, {1.0f, 1.0f}, 64);
    }
};

// n rows of 0 to 3 stored values each; a value names its row and column;
// labels, weights and validation flags that name their rows too.
struct Csr {
    std::vector<float> data;
    std::vector<std::int32_t> indices;
    std::vector<std::int32_t> indptr{0};
    CsrView<float, std::int32_t> view;
    std::vector<double> y, weight;
    std::vector<std::uint8_t> held_out;
    Targets targets;
    explicit Csr(std::int64_t n) {
        for (std::int64_t i = 0; i < n; ++i) {
            y.push_back(static_cast<double>(i));
            weight.push_back(1.0 + static_cast<double>(i) / 1000.0);
            held_out.push_back(i % 7 == 0 ? 1 : 0);
            for (std::int32_t j = 0; j < i % 4; ++j) {
                data.push_back(static_cast<float>(i * 10 + j));
                indices.push_back(j);
            }
            indptr.push_back(static_cast<std::int32_t>(data.size()));
        }
        view = CsrView<float, std::int32_t>{data.data(), indices.data(), indptr.data(), n, 4};
        targets = Targets{y.data(), weight.data(), held_out.data()};
    }
};

RowSampling sampling(bool shuffle) {
    RowSampling rows;
    rows.shuffle = shuffle;
    rows.seed = 7;
    return rows;
}

// The caller's row index of each of node k's copied rows.
template <class View>
std::vector<std::int64_t> sources(const NodeData<View>& copies, int k) {
    std::vector<std::int64_t> rows(static_cast<std::size_t>(copies.view(k).n_rows));
    for (std::size_t r = 0; r < rows.size(); ++r)
        rows[r] = copies.source_rows(k) ? copies.source_rows(k)[r] : copies.first_row(k) + static_cast<std::int64_t>(r);
    return rows;
}

void check_rows_copied(const Csr& X, const NodeData<CsrView<float, std::int32_t>>& copies, int k) {
    const auto& copy = copies.view(k);
    const auto rows = sources(copies, k);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const auto mine = copy.row(static_cast<std::int64_t>(r));
        const auto theirs = X.view.row(rows[r]);
        const Targets& targets = copies.targets(k);
        CHECK(targets.y[r] == X.y[static_cast<std::size_t>(rows[r])]);
        CHECK(targets.sample_weight[r] == X.weight[static_cast<std::size_t>(rows[r])]);
        CHECK(targets.validation_mask[r] == X.held_out[static_cast<std::size_t>(rows[r])]);
        REQUIRE(mine.nnz == theirs.nnz);
        for (std::int64_t s = 0; s < mine.nnz; ++s) {
            CHECK(mine.values[s] == theirs.values[s]);
            CHECK(mine.indices[s] == theirs.indices[s]);
        }
    }
    CHECK(copy.indptr[0] == 0);
}

}  // namespace

TEST_CASE("shuffled shards are rows drawn at random, each row in one shard, kept in data order") {
    TwoNodes nodes;
    const Csr X(1001);
    const NodeData<CsrView<float, std::int32_t>> copies(X.view, X.targets, NumaData::shard, sampling(true), nodes.placement,
                                                        false, nodes.replicas);
    REQUIRE(copies.sharded());
    std::vector<std::int64_t> all;
    for (int k = 0; k < 2; ++k) {
        REQUIRE(copies.source_rows(k) != nullptr);
        const auto rows = sources(copies, k);
        CHECK(rows.size() == (k == 0 ? 500u : 501u));  // (n * threads before / threads)
        CHECK(std::is_sorted(rows.begin(), rows.end()));
        // not a contiguous range: on 1,001 rows, rows of both halves of the data
        CHECK(rows.front() < 400);
        CHECK(rows.back() > 600);
        CHECK(rows.back() - rows.front() + 1 > static_cast<std::int64_t>(rows.size()));
        check_rows_copied(X, copies, k);
        all.insert(all.end(), rows.begin(), rows.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<std::int64_t> every(1001);
    std::iota(every.begin(), every.end(), std::int64_t{0});
    CHECK(all == every);
}

TEST_CASE("shards without shuffle are contiguous ranges in data order") {
    TwoNodes nodes;
    const Csr X(1001);
    const NodeData<CsrView<float, std::int32_t>> copies(X.view, X.targets, NumaData::shard, sampling(false), nodes.placement,
                                                        false, nodes.replicas);
    CHECK(copies.source_rows(0) == nullptr);
    CHECK(copies.first_row(0) == 0);
    CHECK(copies.view(0).n_rows == 500);
    CHECK(copies.first_row(1) == 500);
    CHECK(copies.view(1).n_rows == 501);
    for (int k = 0; k < 2; ++k) check_rows_copied(X, copies, k);
}

TEST_CASE("replicas copy every row to every node, whatever the shuffle") {
    TwoNodes nodes;
    const Csr X(103);
    const NodeData<CsrView<float, std::int32_t>> copies(X.view, X.targets, NumaData::replicate, sampling(true), nodes.placement,
                                                        false, nodes.replicas);
    CHECK_FALSE(copies.sharded());
    for (int k = 0; k < 2; ++k) {
        CHECK(copies.source_rows(k) == nullptr);
        CHECK(copies.view(k).n_rows == 103);
        check_rows_copied(X, copies, k);
    }
}

TEST_CASE("dense shards of random rows copy whole rows") {
    TwoNodes nodes;
    const std::int64_t n = 301, d = 3;
    std::vector<double> values(static_cast<std::size_t>(n * d));
    std::iota(values.begin(), values.end(), 0.0);
    const DenseView<double> X{values.data(), n, d};
    std::vector<double> y(static_cast<std::size_t>(n)), weight(static_cast<std::size_t>(n), 1.0);
    std::iota(y.begin(), y.end(), 0.0);
    const Targets targets{y.data(), weight.data(), nullptr};
    const NodeData<DenseView<double>> copies(X, targets, NumaData::shard, sampling(true), nodes.placement, false,
                                             nodes.replicas);
    std::int64_t total = 0;
    for (int k = 0; k < 2; ++k) {
        const auto rows = sources(copies, k);
        total += static_cast<std::int64_t>(rows.size());
        CHECK(copies.targets(k).validation_mask == nullptr);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            CHECK(copies.targets(k).y[r] == static_cast<double>(rows[r]));
            for (std::int64_t j = 0; j < d; ++j)
                CHECK(copies.view(k).data[static_cast<std::int64_t>(r) * d + j] ==
                      values[static_cast<std::size_t>(rows[r] * d + j)]);
        }
    }
    CHECK(total == n);
}
