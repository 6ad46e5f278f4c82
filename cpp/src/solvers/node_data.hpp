// Node-local copies of the training data for the Hogwild! solver's node
// replicas (numa_data="shard" or "replicate"; "off" reads the caller's
// arrays in place, wherever their pages lie).
//
//  * shard: node k gets a share of the rows in proportion to its threads,
//    copied once into memory its own threads write first (so it lies in
//    node k's memory), and its threads visit only those rows, in an order
//    of their own each epoch (the same row order rule as the whole data's,
//    with the node's seed). With shuffle, a share is rows drawn at random
//    (a slice of one random permutation of all rows, kept in data order):
//    contiguous shares of a file sorted by label held one class each, and
//    the merged model leaned to one class (a9a: 0.79-0.81 test accuracy
//    where shuffled rows give 0.85). Without shuffle, the share of node k
//    is contiguous (of T threads, those before node k's take the first
//    rows): data order, as shuffle=False asks. The copies take the data's
//    size once in all; a shard of random rows also copies its rows' labels,
//    weights and validation flags (17 bytes a row; contiguous shards and
//    replicas read the caller's), so that the training loop reads them at
//    the copy's row index with no lookup (a lookup table of 8 bytes a row,
//    read at random, made epochs slower: its misses evicted the model).
//  * replicate: every node gets all rows; the threads follow the epoch's
//    order over all rows, as without copies, reading their node's copy. The
//    copies take the data's size once per node.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/core/uninitialized_vector.hpp"
#include "hogwild/core/views.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "hogwild/runtime/thread_placement.hpp"
#include "node_replicas.hpp"

namespace hogwild {

template <class View>
class NodeData {
  public:
    NodeData() = default;  // off
    // (moved, never copied: a copy's views would point into the original's buffers)
    NodeData(const NodeData&) = delete;
    NodeData& operator=(const NodeData&) = delete;
    NodeData(NodeData&&) = default;
    NodeData& operator=(NodeData&&) = default;

    // `X`, `targets`: the caller's data; `nodes`: the solver's node replicas
    // (their threads copy their node's rows, pinned where `placement` puts them).
    NodeData(const View& X, const Targets& targets, NumaData mode, const RowSampling& sampling,
             const ThreadPlacement& placement, bool pin, const NodeReplicas& nodes)
        : mode_(nodes.on() ? mode : NumaData::off) {
        if (mode_ == NumaData::off) return;
        const int n_nodes = nodes.count();
        copies_.resize(static_cast<std::size_t>(n_nodes));
        std::int64_t threads_before = 0;
        const std::int64_t threads = placement.size();
        // (shards of random rows: node k takes its slice of one permutation)
        std::vector<std::int64_t> permutation;
        if (mode_ == NumaData::shard && sampling.shuffle) {
            permutation.resize(static_cast<std::size_t>(X.n_rows));
            std::iota(permutation.begin(), permutation.end(), std::int64_t{0});
            std::uint32_t state = sampling.seed ^ 0x5bd1e995u;  // (not the epochs' first order)
            shuffle_with(permutation.data(), permutation.size(), state);
        }
        for (int k = 0; k < n_nodes; ++k) {
            Copy& copy = copies_[static_cast<std::size_t>(k)];
            // (a shard per thread count, so that every thread has about n / T rows)
            const std::int64_t begin = mode_ == NumaData::shard ? X.n_rows * threads_before / threads : 0;
            threads_before += nodes.threads_of(k);
            const std::int64_t end = mode_ == NumaData::shard ? X.n_rows * threads_before / threads : X.n_rows;
            if (!permutation.empty()) {
                copy.source_rows.assign(permutation.begin() + begin, permutation.begin() + end);
                std::sort(copy.source_rows.begin(), copy.source_rows.end());  // (read in data order)
            } else {
                copy.first_row = begin;
            }
            allocate(X, targets, copy, end - begin);
            if (mode_ == NumaData::shard)
                // (a seed of its own per node, so that nodes do not walk their shards alike)
                copy.order.emplace_back(copy.view.n_rows, sampling.shuffle_block_size,
                                        sampling.seed + 0x9E3779B9u * static_cast<std::uint32_t>(k + 1),
                                        sampling.shuffle_buffer_blocks);
        }
        touch_where_placed(placement, pin, [&](int tid) {
            const int k = nodes.replica_of(tid);
            Copy& copy = copies_[static_cast<std::size_t>(k)];
            const int rank = tid - nodes.lead_of(k);
            const int threads = nodes.threads_of(k);
            const std::int64_t n = copy.view.n_rows;
            fill(X, targets, copy, n * rank / threads, n * (rank + 1) / threads, rank + 1 == threads);
        });
    }

    bool on() const { return mode_ != NumaData::off; }
    bool sharded() const { return mode_ == NumaData::shard; }

    // Node k's copy: its rows' data, and their labels, weights and
    // validation flags at the same row index; the caller's index of its row
    // r is source_rows(k)[r], or first_row(k) + r where source_rows(k) is
    // null (contiguous shards, replicas).
    const View& view(int k) const { return copies_[static_cast<std::size_t>(k)].view; }
    const Targets& targets(int k) const { return copies_[static_cast<std::size_t>(k)].targets; }
    std::int64_t first_row(int k) const { return copies_[static_cast<std::size_t>(k)].first_row; }
    const std::int64_t* source_rows(int k) const {
        const Copy& copy = copies_[static_cast<std::size_t>(k)];
        return copy.source_rows.empty() ? nullptr : copy.source_rows.data();
    }
    // shard: node k's row order this epoch (positions 0 .. its rows - 1)
    const std::int64_t* order(int k) const { return copies_[static_cast<std::size_t>(k)].order.front().rows(); }

    // The calling thread, before an epoch's work: every shard's next order.
    void next_epoch(bool shuffle) {
        for (Copy& copy : copies_)
            if (!copy.order.empty()) copy.order.front().next_epoch(shuffle);
    }

  private:
    static constexpr bool kSparse = requires(const View& v) { v.indptr; };
    using Value = typename View::value_type;

    // (dense data has no indices: its index vectors stay empty)
    template <class V>
    struct IndexOf {
        using type = std::int64_t;
    };
    template <class V>
        requires requires { typename V::index_type; }
    struct IndexOf<V> {
        using type = typename V::index_type;
    };
    using SparseIndex = typename IndexOf<View>::type;

    struct Copy {
        UninitializedVector<Value> data;
        UninitializedVector<SparseIndex> indices;  // sparse only
        UninitializedVector<SparseIndex> indptr;   // sparse only: rebased to the copy
        View view;
        std::int64_t first_row = 0;
        std::vector<std::int64_t> source_rows;  // shard of random rows: the caller's rows, ascending
        std::vector<RowOrder> order;            // shard: one
        Targets targets;                        // indexed by the copy's rows
        // (shard of random rows: its own labels, weights and validation flags)
        UninitializedVector<double> y, sample_weight;
        UninitializedVector<std::uint8_t> validation_mask;

        std::int64_t source(std::int64_t r) const {
            return source_rows.empty() ? first_row + r : source_rows[static_cast<std::size_t>(r)];
        }
    };

    template <class Index>
    static std::int64_t row_length(const Index* indptr, std::int64_t i) {
        return static_cast<std::int64_t>(indptr[i + 1]) - static_cast<std::int64_t>(indptr[i]);
    }

    // Stored values of the copy's rows [0, to).
    static std::int64_t nonzeros_before(const View& X, const Copy& copy, std::int64_t to) {
        if (copy.source_rows.empty())
            return static_cast<std::int64_t>(X.indptr[copy.first_row + to]) -
                   static_cast<std::int64_t>(X.indptr[copy.first_row]);
        std::int64_t nnz = 0;
        for (std::int64_t r = 0; r < to; ++r) nnz += row_length(X.indptr, copy.source(r));
        return nnz;
    }

    static void allocate(const View& X, const Targets& targets, Copy& copy, std::int64_t n_rows) {
        copy.view = X;
        copy.view.n_rows = n_rows;
        if (copy.source_rows.empty()) {  // (the caller's, from the copy's first row)
            copy.targets = Targets{targets.y + copy.first_row, targets.sample_weight + copy.first_row,
                                   targets.validation_mask ? targets.validation_mask + copy.first_row : nullptr};
        } else {
            copy.y.resize(static_cast<std::size_t>(n_rows));
            copy.sample_weight.resize(static_cast<std::size_t>(n_rows));
            if (targets.validation_mask) copy.validation_mask.resize(static_cast<std::size_t>(n_rows));
            copy.targets = Targets{copy.y.data(), copy.sample_weight.data(),
                                   targets.validation_mask ? copy.validation_mask.data() : nullptr};
        }
        if constexpr (kSparse) {
            const std::int64_t nnz = nonzeros_before(X, copy, n_rows);
            copy.data.resize(static_cast<std::size_t>(nnz));
            copy.indices.resize(static_cast<std::size_t>(nnz));
            copy.indptr.resize(static_cast<std::size_t>(n_rows) + 1);
            copy.view.data = copy.data.data();
            copy.view.indices = copy.indices.data();
            copy.view.indptr = copy.indptr.data();
        } else {
            copy.data.resize(static_cast<std::size_t>(n_rows * X.n_cols));
            copy.view.data = copy.data.data();
        }
    }

    // Rows [from, to) of the copy (the copy's numbering), written by one
    // thread, row by row from the caller's rows source(r) (the same code
    // for contiguous and random rows); `last`: the node's last thread, which
    // also writes the end offset. A shard of random rows copies its rows'
    // labels, weights and validation flags too.
    static void fill(const View& X, const Targets& targets, Copy& copy, std::int64_t from, std::int64_t to,
                     bool last) {
        if constexpr (kSparse) {
            std::int64_t out = nonzeros_before(X, copy, from);  // (random rows: a pass over offsets, once a fit)
            for (std::int64_t r = from; r < to; ++r) {
                copy.indptr[static_cast<std::size_t>(r)] = static_cast<SparseIndex>(out);
                const std::int64_t i = copy.source(r);
                const std::int64_t begin = static_cast<std::int64_t>(X.indptr[i]);
                const std::int64_t length = row_length(X.indptr, i);
                std::copy(X.data + begin, X.data + begin + length, copy.data.begin() + out);
                std::copy(X.indices + begin, X.indices + begin + length, copy.indices.begin() + out);
                out += length;
            }
            if (last) copy.indptr[static_cast<std::size_t>(to)] = static_cast<SparseIndex>(out);
        } else {
            for (std::int64_t r = from; r < to; ++r)
                std::copy(X.data + copy.source(r) * X.n_cols, X.data + (copy.source(r) + 1) * X.n_cols,
                          copy.data.begin() + r * X.n_cols);
        }
        if (copy.source_rows.empty()) return;  // (contiguous: the caller's targets, offset)
        for (std::int64_t r = from; r < to; ++r) {
            const std::int64_t i = copy.source(r);
            copy.y[static_cast<std::size_t>(r)] = targets.y[i];
            copy.sample_weight[static_cast<std::size_t>(r)] = targets.sample_weight[i];
            if (targets.validation_mask) copy.validation_mask[static_cast<std::size_t>(r)] = targets.validation_mask[i];
        }
    }

    NumaData mode_ = NumaData::off;
    std::vector<Copy> copies_;  // one per node replica
};

}  // namespace hogwild
