// A model replica per NUMA node for the Hogwild! solver (numa="auto" on a
// machine of several nodes, or "replicate").
//
// One shared weight vector makes every write to a weight another socket's
// core wrote since a cache-line transfer across the interconnect.
// DimmWitted (Zhang & Ré, VLDB 2014) measured that one replica per node,
// combined periodically, beats both one shared model and one per core. Here
// the threads of a node write their node's replica exactly as Hogwild!
// threads write the shared model (their own thread replicas merged into it,
// the rest lock-free), and every `lead_rows()` of its rows the node's first
// thread, its lead, merges the replica with the global model: it adds the
// replica's change since its last merge to the global model and takes the
// global model back, keeping what the node's threads add meanwhile (one
// pass of relaxed atomics, no barrier: the other nodes go on working). The
// rows that cross the interconnect are one pass over the model per merge,
// instead of one line per contended write.
//
// A change is added with the same weights as the thread replicas' merges
// (hogwild_solver.cpp): whole where no other node likely moved the
// coordinate in the interval (independent progress, as in Hogwild!), down
// to the mean of the nodes' changes where the coordinate is stiff enough to
// settle in an interval and every node moves it (model averaging, as in
// DimmWitted), so that N nodes' corrections of one coordinate do not
// overshoot N-fold. (Hogwild++'s token ring, Zhang, Hsieh & Akella 2016,
// passes the model between nodes instead; merging into one global model
// needs no ring order and lets a node that finished its share stop.)
//
// The replicas are allocated here but first written by their node's
// threads, pinned, so that Linux's first-touch policy puts their pages in
// that node's memory.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "hogwild/core/topology.hpp"
#include "hogwild/core/write_policy.hpp"
#include "hogwild/runtime/thread_placement.hpp"

namespace hogwild {

class NodeReplicas {
  public:
    NodeReplicas() = default;  // off: the threads share one model

    // `placement`: the team's (spread over nodes); `start`: the model's
    // `size` coordinates (the weights, then the intercept); per coordinate,
    // for the merge weights, the share of rows holding it (`frequency`, 1
    // for the intercept) and its expected squared value per row
    // (`stiffness`: sum of x^2 / rows; the intercept's step factor for the
    // intercept); `node_rows`: rows of a node between two of its merges.
    NodeReplicas(const ThreadPlacement& placement, bool pin, std::int64_t size, const double* start,
                 const std::vector<float>& frequency, const std::vector<float>& stiffness, std::int64_t node_rows)
        : size_(size), model_of_thread_(static_cast<std::size_t>(placement.size())) {
        const std::vector<int> used = placement.nodes_used();
        for (const int node : used) {
            Replica replica;
            replica.values.reset(new double[static_cast<std::size_t>(size)]);  // (not written: first touch below)
            replica.base.reset(new double[static_cast<std::size_t>(size)]);
            for (int t = 0; t < placement.size(); ++t) {
                if (placement.nodes[static_cast<std::size_t>(t)] != node) continue;
                if (replica.threads++ == 0) replica.lead = t;
                model_of_thread_[static_cast<std::size_t>(t)] = static_cast<int>(replicas_.size());
            }
            replicas_.push_back(std::move(replica));
        }
        const int threads_per_node = std::max(1, placement.size() / static_cast<int>(replicas_.size()));
        lead_rows_ = std::max<std::int64_t>(1, node_rows / threads_per_node);
        // merge weights: the chance that another node moved a coordinate in
        // an interval, and how far an interval's steps move it (times eta)
        const double rows = static_cast<double>(node_rows);
        touch_probability_.resize(static_cast<std::size_t>(size));
        stiffness_.resize(static_cast<std::size_t>(size));
        for (std::size_t j = 0; j < touch_probability_.size(); ++j) {
            touch_probability_[j] = static_cast<float>(1.0 - std::pow(1.0 - std::min(1.0, double{frequency[j]}), rows));
            stiffness_[j] = static_cast<float>(double{stiffness[j]} * rows);
        }
        first_touch(placement, pin, start);
    }

    bool on() const { return !replicas_.empty(); }
    int count() const { return static_cast<int>(replicas_.size()); }
    // The replica thread `tid` writes (size() values: the weights, then the intercept).
    double* values_of(int tid) { return replicas_[replica_index(tid)].values.get(); }
    bool leads(int tid) const { return replicas_[replica_index(tid)].lead == tid; }
    // Which replica thread tid writes, and replica k's first thread and thread count.
    int replica_of(int tid) const { return static_cast<int>(replica_index(tid)); }
    int lead_of(int k) const { return replicas_[static_cast<std::size_t>(k)].lead; }
    int threads_of(int k) const { return replicas_[static_cast<std::size_t>(k)].threads; }
    // Rows of a lead between two merges of its node's replica.
    std::int64_t lead_rows() const { return lead_rows_; }
    // The factor a replica's change to coordinate s takes in a merge (eta:
    // the step size now): 1 where the nodes' changes are independent
    // progress, towards 1 / nodes where each settles the coordinate alone
    // (the thread replicas' rule, HogwildSolver::merge_slots).
    double merge_weight(std::size_t s, double eta) const {
        const double others = static_cast<double>(replicas_.size() - 1);
        const double settled = std::min(1.0, eta * static_cast<double>(stiffness_[s]));
        return 1.0 / (1.0 + others * touch_probability_[s] * settled);
    }

    // Coordinate j of the global model as it would be were every replica
    // merged now (`global`: its value in the global model; eta: the step
    // size now), each replica's change since its last merge weighted as a
    // merge weights it; read while the threads write, as Hogwild! reads.
    double merged_value(std::int64_t j, double eta, double global) const {
        const auto s = static_cast<std::size_t>(j);
        const double weight = merge_weight(s, eta);
        double value = global;
        for (const Replica& replica : replicas_)
            value += (std::atomic_ref<double>(replica.values[s]).load(std::memory_order_relaxed) -
                      std::atomic_ref<double>(replica.base[s]).load(std::memory_order_relaxed)) *
                     weight;
        return value;
    }

    // The lead of tid's node, during an epoch: the replica's change since
    // its last merge goes into the global model (`global(j)`: a double&),
    // `settle(j, value)` may change the global value then (a penalty owed),
    // and the replica takes the global model back. `eta`: the step size now.
    template <class Global, class Settle>
    void merge(int tid, double eta, Global&& global, Settle&& settle) {
        Replica& replica = replicas_[replica_index(tid)];
        for (std::int64_t j = 0; j < size_; ++j) {
            double& mine = replica.values[static_cast<std::size_t>(j)];
            const double now = std::atomic_ref<double>(mine).load(std::memory_order_relaxed);
            const double change = now - replica.base[static_cast<std::size_t>(j)];
            double& shared = global(j);
            if (change != 0.0) atomic_add(shared, change * merge_weight(static_cast<std::size_t>(j), eta));
            settle(j, shared);
            const double merged = std::atomic_ref<double>(shared).load(std::memory_order_relaxed);
            // (added, not stored: the node's threads may have written since `now` was read)
            if (merged != now) atomic_add(mine, merged - now);
            // (a relaxed store: thread 0 reads it for the average, merged_value)
            std::atomic_ref<double>(replica.base[static_cast<std::size_t>(j)]).store(merged, std::memory_order_relaxed);
        }
    }

    // The calling thread, with no training running (an epoch's end): every
    // replica merged in node order, then every replica set to the global model.
    template <class Global, class Settle>
    void merge_all(double eta, Global&& global, Settle&& settle) {
        for (const Replica& replica : replicas_) merge(replica.lead, eta, global, settle);
        reset([&](std::int64_t j) { return global(j); });
    }

    // Every replica becomes the model `value(j)` (no training running).
    template <class Value>
    void reset(Value&& value) {
        for (Replica& replica : replicas_)
            for (std::int64_t j = 0; j < size_; ++j)
                replica.values[static_cast<std::size_t>(j)] = replica.base[static_cast<std::size_t>(j)] = value(j);
    }

  private:
    struct Replica {
        std::unique_ptr<double[]> values;
        std::unique_ptr<double[]> base;  // the global model at the last merge
        int lead = 0;
        int threads = 0;
    };

    std::size_t replica_index(int tid) const {
        return static_cast<std::size_t>(model_of_thread_[static_cast<std::size_t>(tid)]);
    }

    // The node's threads, pinned where the team will be, write the first
    // values of their share of the replica's pages.
    void first_touch(const ThreadPlacement& placement, bool pin, const double* start) {
        touch_where_placed(placement, pin, [&](int tid) {
            Replica& replica = replicas_[replica_index(tid)];
            const int rank = tid - replica.lead;  // (a node's threads are consecutive)
            const std::int64_t begin = size_ * rank / replica.threads;
            const std::int64_t end = size_ * (rank + 1) / replica.threads;
            for (std::int64_t j = begin; j < end; ++j)
                replica.values[static_cast<std::size_t>(j)] = replica.base[static_cast<std::size_t>(j)] = start[j];
        });
    }

    std::int64_t size_ = 0;
    std::vector<Replica> replicas_;       // one per node that holds threads, in node order
    std::vector<int> model_of_thread_;    // per thread: its node's replica
    std::int64_t lead_rows_ = 1;
    std::vector<float> touch_probability_;  // per coordinate, per interval
    std::vector<float> stiffness_;          // per coordinate: expected sum of x^2 over an interval's rows
};

}  // namespace hogwild
