// Node-local copies of the training data for the Hogwild! solver's node
// replicas (numa_data="shard" or "replicate"; "off" reads the caller's
// arrays in place, wherever their pages lie).
//
//  * shard: node k gets a contiguous share of the rows in proportion to its
//    threads (of T threads, those before node k's take the first rows),
//    copied once into memory its own threads
//    write first (so it lies in node k's memory), and its threads visit only
//    those rows, in an order of their own each epoch (the same row order
//    rule as the whole data's, with the node's seed). The copies take the
//    data's size once in all.
//  * replicate: every node gets all rows; the threads follow the epoch's
//    order over all rows, as without copies, reading their node's copy. The
//    copies take the data's size once per node.
#pragma once

#include <algorithm>
#include <cstdint>
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

    // `X`: the caller's data; `nodes`: the solver's node replicas (their
    // threads copy their node's rows, pinned where `placement` puts them).
    NodeData(const View& X, NumaData mode, const RowSampling& sampling, const ThreadPlacement& placement, bool pin,
             const NodeReplicas& nodes)
        : mode_(nodes.on() ? mode : NumaData::off) {
        if (mode_ == NumaData::off) return;
        const int n_nodes = nodes.count();
        copies_.resize(static_cast<std::size_t>(n_nodes));
        std::int64_t threads_before = 0;
        const std::int64_t threads = placement.size();
        for (int k = 0; k < n_nodes; ++k) {
            Copy& copy = copies_[static_cast<std::size_t>(k)];
            // (a shard per thread count, so that every thread has about n / T rows)
            copy.first_row = mode_ == NumaData::shard ? X.n_rows * threads_before / threads : 0;
            threads_before += nodes.threads_of(k);
            const std::int64_t end = mode_ == NumaData::shard ? X.n_rows * threads_before / threads : X.n_rows;
            allocate(X, copy, end - copy.first_row);
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
            fill(X, copy, n * rank / threads, n * (rank + 1) / threads, rank + 1 == threads);
        });
    }

    bool on() const { return mode_ != NumaData::off; }
    bool sharded() const { return mode_ == NumaData::shard; }

    // Node k's copy: its rows' data, and the caller's row index of its row 0.
    const View& view(int k) const { return copies_[static_cast<std::size_t>(k)].view; }
    std::int64_t first_row(int k) const { return copies_[static_cast<std::size_t>(k)].first_row; }
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
        std::vector<RowOrder> order;  // shard: one
    };

    static void allocate(const View& X, Copy& copy, std::int64_t n_rows) {
        copy.view = X;
        copy.view.n_rows = n_rows;
        if constexpr (kSparse) {
            const std::int64_t begin = static_cast<std::int64_t>(X.indptr[copy.first_row]);
            const std::int64_t nnz = static_cast<std::int64_t>(X.indptr[copy.first_row + n_rows]) - begin;
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
    // thread; `last`: the node's last thread, which also writes the end offset.
    static void fill(const View& X, Copy& copy, std::int64_t from, std::int64_t to, bool last) {
        const std::int64_t row0 = copy.first_row;
        if constexpr (kSparse) {
            const std::int64_t base = static_cast<std::int64_t>(X.indptr[row0]);
            for (std::int64_t r = from; r < to + (last ? 1 : 0); ++r)
                copy.indptr[static_cast<std::size_t>(r)] = static_cast<SparseIndex>(X.indptr[row0 + r] - base);
            const std::int64_t begin = static_cast<std::int64_t>(X.indptr[row0 + from]);
            const std::int64_t end = static_cast<std::int64_t>(X.indptr[row0 + to]);
            std::copy(X.data + begin, X.data + end, copy.data.begin() + (begin - base));
            std::copy(X.indices + begin, X.indices + end, copy.indices.begin() + (begin - base));
        } else {
            std::copy(X.data + row0 * X.n_cols + from * X.n_cols, X.data + row0 * X.n_cols + to * X.n_cols,
                      copy.data.begin() + from * X.n_cols);
        }
    }

    NumaData mode_ = NumaData::off;
    std::vector<Copy> copies_;  // one per node replica
};

}  // namespace hogwild
