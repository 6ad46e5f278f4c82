// The Hogwild! solver: n threads, each on its share of a per-epoch row
// order, all writing one shared weight vector through a write policy.
//
// Two choices make it scale where naive Hogwild! does not:
//  * Thread-local replicas. A write to a weight that another core wrote
//    since costs a cache-line transfer, and on skewed (Zipf) data naive
//    Hogwild! with 2 threads is slower than 1. So each thread updates a
//    private replica of the most frequent features (by default, with
//    several threads, of every feature) and the intercept, and adds its
//    changes to the shared weights in merges (see Replica and merge_slots);
//    features outside the replicas are written lock-free.
//  * Per-feature regularization. scikit-learn's O(1) L2 step rescales the
//    whole vector through one shared scalar, which threads cannot share
//    without a lock. Instead each row regularizes only the coordinates it
//    touches, with strength scaled by n / (rows containing the feature), as
//    in the Hogwild! paper: summed over an epoch this is exactly the L2 /
//    L1 penalty, so the optimum is the same, and a weight changes only when
//    a row touches it. It is applied as a proximal step (soft threshold for
//    L1, division for L2), which cannot overshoot on rare features. Plain
//    SGD takes the L1 part as the cumulative penalty (exact zeros); on
//    replicated features it is applied where the threads' changes meet, in
//    the merges, since changes that were each clipped at zero do not add
//    up to zero.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"
#include "hogwild/linear/penalty.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "row_step.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/solver_problem.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/linear/scaled_weights.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "data_layouts.hpp"
#include "deterministic_hogwild.hpp"
#include "node_data.hpp"
#include "node_replicas.hpp"
#include "hogwild/core/uninitialized_vector.hpp"
#include "hogwild/core/views.hpp"
#include "hogwild/core/write_policy.hpp"

namespace hogwild {

// What a row step needs to know about a feature besides its weight.
struct FeatureInfo {
    float regularization_scale;  // n_train / rows containing the feature
    std::int32_t replica_slot;   // index in the thread replicas, -1: shared
};

// Without replicas (one thread, or hot_features=0), on sparse data, a
// feature's shared weight and its FeatureInfo lie on one 16-byte slot: a step
// reads both for each of the row's features, and one cache line instead of two makes a one-thread
// epoch 1.1-1.2x faster when the weights outgrow the L2 cache. With replicas
// they stay apart: other threads' merges write the shared weights, and a
// line they wrote would travel back to this core for every read of the
// feature's slot (2 threads: up to 2x slower epochs), and the merges would
// touch twice the lines (8% slower).
struct alignas(16) SharedFeature {
    double weight;
    FeatureInfo info;
};

// A thread's private copy of the replicated weights. Slots are ordered from
// the most to the least frequent feature; the last slot is the intercept.
// The copies are kept by slot (`values`), or, where every feature that
// occurs is replicated and the copies fit (kMaxByFeatureReplicaBytes), by
// feature (`by_feature`, each value beside its FeatureInfo): a step then
// reads one cache line per coordinate, without first reading the slot
// (measured: a one-thread epoch with every feature replicated by slot took
// 1.44x one without replicas).
// The copies are allocated without being written and first written by
// their own thread, pinned (first_touch_replicas), so that on a machine of
// several NUMA nodes each lies in its thread's node's memory.
// Where the solver's weights are scaled (plain sgd, L2 only: see
// ScaledWeights below), the copies are by feature, a plain array over one
// factor per thread (`scaled`, `scale`): a step costs what one thread's
// step costs alone, where the by-feature copies' per-feature penalty
// divided at every coordinate and read twice the bytes (measured:
// bench_sparse_sgd --rows 1000000 --shuffle 0 --threads 1 --hot 100000, a
// one-thread epoch with every feature replicated, 0.19-0.28 s by feature,
// 0.15 s scaled; 0.11 s without replicas, the rest is the merges).
struct Replica {
    UninitializedVector<double> values;             // by slot (empty when by feature)
    UninitializedVector<SharedFeature> by_feature;  // by feature; [n_features]: the intercept
    UninitializedVector<double> scaled;  // by feature, times `scale`; [n_features]: the intercept, unscaled
    double scale = 1.0;
    UninitializedVector<double> base;               // by slot: the shared values when last merged
    const std::int64_t* slot_features = nullptr;  // by feature: slot -> feature
    std::size_t n_hot = 0;
    // the shared model this thread merges into: the global one, or its
    // node's replica (node_replicas.hpp)
    double* shared_weights = nullptr;
    double* shared_intercept = nullptr;
    int co_writers = 0;  // other threads that merge into the same shared model

    // the slot's value as this thread sees it
    double get(std::size_t slot) const {
        if (!scaled.empty()) return slot < n_hot ? scaled[by_feature_index(slot)] * scale : scaled.back();
        if (by_feature.empty()) return values[slot];
        return by_feature[by_feature_index(slot)].weight;
    }
    void set(std::size_t slot, double value) {
        if (!scaled.empty())
            scaled[by_feature_index(slot)] = slot < n_hot ? value / scale : value;
        else if (by_feature.empty())
            values[slot] = value;
        else
            by_feature[by_feature_index(slot)].weight = value;
    }
    // where a by-feature copy keeps the slot (the intercept: last)
    std::size_t by_feature_index(std::size_t slot) const {
        return slot < n_hot ? static_cast<std::size_t>(slot_features[slot])
                            : std::max(scaled.size(), by_feature.size()) - 1;
    }
    // the common factor multiplied into the scaled copies
    void fold_scale() {
        for (std::size_t j = 0; j + 1 < scaled.size(); ++j) scaled[j] *= scale;
        scale = 1.0;
    }
    std::size_t size() const { return base.size(); }
};

// The most memory the by-feature replicas of all threads may take together.
inline constexpr std::int64_t kMaxByFeatureReplicaBytes = std::int64_t{512} << 20;

// Per feature: training rows that contain it and the sum of its squared values.
struct FeatureStats {
    std::vector<std::uint32_t> rows;
    std::vector<double> squares;
};

// A value on a cache line of its own, so that it shares the line with nothing.
struct alignas(64) PaddedDouble {
    double value = 0.0;
};

// With several threads, "auto" keeps every feature that occurs (up to this
// many, the most frequent first) in the replicas. Measured on a 2-core
// machine with a Zipf(1.1) problem: a write to a shared feature costs a
// cache-line transfer whenever the other core wrote that line since, which
// for a weight vector that stays cached happens on most writes, however rare
// the feature, so replicating only the hottest features scaled 1.3x while
// replicating all of them scaled 1.7-1.9x.
inline constexpr std::int64_t kMaxAutoReplicatedFeatures = std::int64_t{1} << 20;
// Merging a slot costs a cache-line transfer when the other threads wrote
// it too, so slots are merged in two tiers. The frequent features (in at
// least 1 row of 64) and the intercept take most of the gradient and go
// stale fastest: they are merged every `sync_every` rows (default 256). All
// slots are merged every `refresh_every_` rows: kRefreshWorkRatio K / (nonzeros
// a row) rows for K slots. A slot's merge costs far more than a nonzero of a
// row (an atomic add on a line the other threads merge too, the merge
// weight's arithmetic): at 16, meant as "a sixteenth of the rows' work", 2
// threads ran 1.14x one on a 200k x 50k Zipf problem (40 nonzeros a row;
// median epochs of fits alternated in one process), at 64 1.37x; with the
// merges in feature order (merge_replica) 1.67x, and 1.87x on 1M x 100k
// (16: 1.42x there), the objectives after 4 epochs no worse. (python
// bench/bench_epoch_times.py --nnz 40 --threads 1, then 2, fits one after
// the other: 1.40x by median epochs, 1.52x by the fastest.)
inline constexpr std::int64_t kDefaultSyncRows = 256;
// On many rows the frequent slots' merges dominate what a second thread
// adds: 2 threads on 1M x 100k Zipf rows in data order (bench_sparse_sgd
// --shuffle 0 --sync N) ran 0.079 s an epoch merging every 256 rows, 0.067
// every 1024 and 0.063 every 4096, at the same objective after 3 epochs
// (0.4185, 0.4181, 0.4183). So by default a thread merges them every
// 1/128 of its share of an epoch's rows, within [256, 4096]: every 256
// rows up to 32,768 rows a thread (every data set in ../shared/data).
// Objectives after 5 epochs of 400k x 100k Zipf rows with elasticnet,
// adagrad, averaging or the hinge loss within noise of every 256 rows'.
inline constexpr std::int64_t kMinFrequentMergesPerEpoch = 128;
inline constexpr std::int64_t kMaxDefaultSyncRows = 4096;
inline constexpr double kFrequentFeatureMinFraction = 1.0 / 64.0;
inline constexpr std::int64_t kMaxFrequentFeatures = 1024;
inline constexpr double kRefreshWorkRatio = 64.0;
// A node replica's merge with the global model (node_replicas.hpp) runs
// every kNodeMergeWorkRatio x n_features / (nonzeros a row) rows of its
// node, and not more often than its threads' refreshes.
inline constexpr double kNodeMergeWorkRatio = 16.0;

template <class View, class Policy>
class HogwildSolver {
  public:
    HogwildSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : problem_(X, targets, config, model),
          state_(config, model, problem_.strength, problem_.n_threads, X.nnz(), X.n_rows) {
        // (ScaledWeights read no per-feature statistics: no pass over the data
        // for them; callgrind, 100,000 x 20,000 with 40 nonzeros a row: the
        // pass cost a fifth of an epoch's instructions)
        // (scaled replicas read them only for their merges' heuristics: from a
        // sample of the rows, see samples_feature_stats)
        const FeatureStats stats =
            scales_weights() ? FeatureStats{} : feature_stats(samples_feature_stats() ? sample_stride() : 1);
        build_slots(stats, count_training_rows(targets, X.n_rows));
        // allocated here, not in the parallel region, where an exception would terminate
        replicas_.resize(static_cast<std::size_t>(problem_.n_threads));
        if (replicas_on_) {
            for (Replica& replica : replicas_) {
                replica.base.resize(hot_features_.size() + 1);
                replica.n_hot = hot_features_.size();
                if (!replicas_by_feature_) {
                    replica.values.resize(hot_features_.size() + 1);
                    continue;
                }
                replica.slot_features = hot_features_.data();
                if (scaled_replicas_)
                    replica.scaled.resize(features_.size() + 1);
                else
                    replica.by_feature.resize(features_.size() + 1);
            }
        }
        place_threads_and_node_replicas(stats, count_training_rows(targets, X.n_rows));
        if (replicas_on_) first_touch_replicas();
    }

    // Where the team's threads run, and the node replicas they write (see node_replicas.hpp).
    ThreadPlacement placement() const { return placement_; }
    int node_replicas() const { return nodes_.count(); }
    std::string data_placement() const {
        return !node_data_.on() ? "in place" : node_data_.sharded() ? "shard" : "replicate";
    }
    // With node shards each node walks its own rows in its own order (node_data.hpp).
    bool uses_row_order() const { return !node_data_.sharded(); }
    void start_epoch(const Epoch&) {
        if (node_data_.sharded()) node_data_.next_epoch(problem_.config.sampling.shuffle);
        next_chunk_.store(0, std::memory_order_relaxed);
    }

    std::int64_t hot_features_used() const { return static_cast<std::int64_t>(hot_features_.size()); }

    // The caller wrote the model buffers: continue from them.
    void reload() {
        for (std::int64_t j = 0; j < problem_.n_features; ++j) weight(static_cast<std::size_t>(j)) = problem_.model.weights[j];
        shared_intercept_.value = *problem_.model.intercept;
        if (nodes_.on()) nodes_.reset([&](std::int64_t j) { return global_value(j); });
        state_.average = IterateAverage(problem_.config, problem_.model, problem_.X.nnz(), problem_.X.n_rows, t_);
    }

    int n_threads() const { return problem_.n_threads; }

    // (the session reads and writes its state)
    auto& optimizer() { return state_.optimizer; }

    void work(int tid, int team_size, const Epoch& epoch, ThreadTeam& team) {
        Replica& replica = replicas_[static_cast<std::size_t>(tid)];
        if (replicas_on_) refresh_replica(replica);
        LossSum loss_sum;
        std::int64_t updates = 0;
        L1Clock clock(state_.l1, team_size);
        if (!node_data_.on() && !nodes_.on() && team_size > 1 && problem_.X.n_rows >= kMinChunkedRows) {
            // chunks of the epoch's order taken by whichever thread is free:
            // a thread on a core that another program keeps busy takes fewer,
            // where fixed shares made every thread wait for it at the epoch's
            // end (200,000 x 50,000, 2 threads next to a busy process:
            // epochs 0.065-0.080 s against 0.080-0.097; idle the same). Not
            // on less data, where which thread takes which rows would make
            // runs differ that are otherwise the same from run to run (a
            // thread's merges are staggered by its index), nor with node
            // replicas (a node's threads take their node's share)
            const std::int64_t n = problem_.X.n_rows;
            const std::int64_t chunk = std::clamp<std::int64_t>(n / (kChunksPerThread * team_size), kMinChunkRows,
                                                                kMaxChunkRows);
            run_rows(epoch, Rows{problem_.X, epoch.rows, problem_.targets},
                     [&](Share& share) {
                         const std::int64_t begin = next_chunk_.fetch_add(chunk, std::memory_order_relaxed);
                         share = Share{begin, std::min(begin + chunk, n)};
                         return begin < n;
                     },
                     tid, team_size, team, replica, clock, loss_sum, updates, true);
        } else if (!node_data_.on()) {
            run_rows(epoch, Rows{problem_.X, epoch.rows, problem_.targets},
                     once(share_of(problem_.X.n_rows, tid, team_size)), tid, team_size, team, replica, clock, loss_sum,
                     updates);
        } else if (!node_data_.sharded()) {  // every node's copy of all rows, in the epoch's order
            const int node = nodes_.replica_of(tid);
            run_rows(epoch, Rows{node_data_.view(node), epoch.rows, node_data_.targets(node)},
                     once(share_of(problem_.X.n_rows, tid, team_size)), tid, team_size, team, replica, clock, loss_sum,
                     updates);
        } else if (team_size == placement_.size()) {  // the node's shard, in its own order, shared by its threads
            const int node = nodes_.replica_of(tid);
            const View& shard = node_data_.view(node);
            run_rows(epoch, shard_rows(node),
                     once(share_of(shard.n_rows, tid - nodes_.lead_of(node), nodes_.threads_of(node))), tid, team_size,
                     team, replica, clock, loss_sum, updates);
        } else {
            // OpenMP gave fewer threads than placed (OMP_THREAD_LIMIT, a fit
            // inside a parallel region): the team splits every shard's rows,
            // so that none is left out
            const Share mine = share_of(problem_.X.n_rows, tid, team_size);
            std::int64_t offset = 0;  // the shard's first position among all shards' rows
            for (int node = 0; node < nodes_.count(); ++node) {
                const View& shard = node_data_.view(node);
                const std::int64_t begin = std::max(mine.begin, offset);
                const std::int64_t end = std::min(mine.end, offset + shard.n_rows);
                if (begin < end)
                    run_rows(epoch, shard_rows(node), once(Share{begin - offset, end - offset}), tid, team_size, team,
                             replica, clock, loss_sum, updates);
                offset += shard.n_rows;
            }
        }
        if (replicas_on_)
            merge_replica(
                replica, problem_.step_size(epoch.t_start + static_cast<double>(updates * team_size + tid), epoch.eta),
                clock);
        if (scaled_weights_) fold_scale();
        state_.loss_sum[tid] = loss_sum.total();
        state_.updates[tid] = static_cast<double>(updates);
        state_.l1_pulls[tid] = clock.own();
    }

    // The calling thread, between epochs: the shared weights become the model.
    EpochOutcome publish(const Epoch& epoch) {
        const EpochOutcome outcome = state_.end_epoch();
        t_ = epoch.t_start + outcome.updates;
        if (nodes_.on()) {
            const double u = state_.l1.total();  // (exact: end_epoch added every thread's pulls)
            nodes_.merge_all(problem_.step_size(t_, epoch.eta), [&](std::int64_t j) -> double& { return global_value(j); },
                             [&](std::int64_t j, double& w) { settle_global_l1(u, j, w); });
        }
        if (colocated_.empty())  // (a plain copy, where the loop below asks for the layout at every weight)
            std::copy(weights_.begin(), weights_.end(), problem_.model.weights);
        else
            for (std::int64_t j = 0; j < problem_.n_features; ++j)
                problem_.model.weights[j] = colocated_[static_cast<std::size_t>(j)].weight;
        *problem_.model.intercept = shared_intercept_.value;
        if (state_.average.on()) {
            state_.average.snapshot(state_.average.clock_at(epoch.t_start + outcome.updates - 1.0),
                                    [&](std::size_t s) { return current_weight(s, nullptr); });
            state_.average.publish(problem_.model);
        }
        return outcome;
    }

  private:
    // How many training rows contain each feature, counted in parallel.
    // Private counters per thread are fastest but cost threads x features;
    // beyond this many counters in all, threads share one with atomic adds.
    static constexpr std::int64_t kMaxPrivateCounters = std::int64_t{1} << 22;

    // Plain sgd and an L2 penalty only: the whole penalty is one factor over
    // the weights (ScaledWeights), where the row step is given them.
    bool penalty_is_one_factor() const {
        return problem_.config.step.optimizer == Optimizer::sgd && problem_.strength.l1 == 0.0 && !state_.l1.on() &&
               problem_.strength.l2 > 0.0;
    }

    // One thread alone (no replicas, node replicas or node-local data
    // either), the penalty one factor: the weights are ScaledWeights (see
    // there).
    bool scales_weights() const {
        return std::is_same_v<Policy, SoleWrites> && problem_.n_threads == 1 &&
               problem_.config.parallel.hot_features <= 0 && penalty_is_one_factor();
    }

    // Whether every thread's replica of all features (and the intercept)
    // fits within kMaxByFeatureReplicaBytes, kept by feature.
    bool by_feature_replicas_fit() const {
        return (problem_.n_features + 1) * static_cast<std::int64_t>(sizeof(SharedFeature)) * problem_.n_threads <=
               kMaxByFeatureReplicaBytes;
    }

    // Several threads, replicas by default, the penalty one factor and the
    // replicas small enough to hold by feature: each thread's copies are
    // ScaledWeights over its own factor (the threads' shrinks add up in the
    // merges as their loss steps do), and every feature has a slot, as
    // every weight decays under one thread's ScaledWeights, where only the
    // features that occur would under the per-feature penalty.
    bool replicates_every_feature_scaled() const {
        return !std::is_same_v<Policy, LockedWrites> && problem_.n_threads > 1 &&
               problem_.config.parallel.hot_features < 0 && penalty_is_one_factor() &&
               problem_.n_features <= kMaxAutoReplicatedFeatures && by_feature_replicas_fit();
    }
    // Those replicas read the feature statistics only to choose which
    // features merge often and how their merges are weighted, not for the
    // penalty: an estimate from every k-th row serves, where the pass over
    // all rows cost about an epoch (a 2-thread session on 1M x 100k Zipf
    // rows: 0.11-0.14 s to construct, an epoch 0.125 s; sampled 0.025 s).
    bool samples_feature_stats() const {
        return replicates_every_feature_scaled() && problem_.X.n_rows >= 2 * kFeatureStatsSampleRows;
    }
    std::int64_t sample_stride() const { return problem_.X.n_rows / kFeatureStatsSampleRows; }

    // Per feature, the training rows that contain it and its sum of squares;
    // where stride > 1 from every `stride`-th block of kFeatureStatsBlockRows
    // consecutive rows, times `stride` (blocks, not single rows, so that
    // the sample reads memory in order: every 15th row of 1M x 100k Zipf
    // rows, each a cache miss, took 12 of a 2-thread session's 22 ms)
    FeatureStats feature_stats(std::int64_t stride) const {
        FeatureStats stats{std::vector<std::uint32_t>(static_cast<std::size_t>(problem_.n_features), 0),
                           std::vector<double>(static_cast<std::size_t>(problem_.n_features), 0.0)};
        const std::int64_t n_rows = problem_.X.n_rows;
        // (one thread counts into `stats` itself)
        const bool sole = problem_.n_threads == 1;
        const bool private_counters = !sole && problem_.n_features * problem_.n_threads <= kMaxPrivateCounters;
        // allocated here, not in the parallel region, where an exception would terminate
        const std::size_t private_size = private_counters ? static_cast<std::size_t>(problem_.n_features) : 0;
        std::vector<FeatureStats> per_thread(
            private_counters ? static_cast<std::size_t>(problem_.n_threads) : 0,
            FeatureStats{std::vector<std::uint32_t>(private_size, 0), std::vector<double>(private_size, 0.0)});
#pragma omp parallel num_threads(problem_.n_threads)
        {
            FeatureStats* mine = sole               ? &stats
                                 : private_counters ? &per_thread[static_cast<std::size_t>(omp_get_thread_num())]
                                                    : nullptr;
            const std::int64_t block_rows = stride > 1 ? kFeatureStatsBlockRows : 1;
            const std::int64_t n_blocks = (n_rows + block_rows - 1) / block_rows;
#pragma omp for schedule(static)
            for (std::int64_t block = 0; block < n_blocks; block += stride) {
                const std::int64_t end = std::min(n_rows, (block + 1) * block_rows);
                for (std::int64_t i = block * block_rows; i < end; ++i) {
                    if (!is_training_row(problem_.targets, i)) continue;
                    const auto row = problem_.X.row(i);
                    for (std::int64_t k = 0; k < row.size(); ++k) {
                        const auto j = static_cast<std::size_t>(row.index(k));
                        const double square = row.value(k) * row.value(k);
                        if (mine != nullptr) {
                            ++mine->rows[j];
                            mine->squares[j] += square;
                        } else {
                            std::atomic_ref<std::uint32_t>(stats.rows[j]).fetch_add(1, std::memory_order_relaxed);
                            atomic_add(stats.squares[j], square);
                        }
                    }
                }
            }
        }
        for (const auto& mine : per_thread)
            for (std::size_t j = 0; j < mine.rows.size(); ++j) {
                stats.rows[j] += mine.rows[j];
                stats.squares[j] += mine.squares[j];
            }
        if (stride > 1) {
            for (std::size_t j = 0; j < stats.rows.size(); ++j) {
                stats.rows[j] = static_cast<std::uint32_t>(
                    std::min<std::int64_t>(n_rows, static_cast<std::int64_t>(stats.rows[j]) * stride));
                stats.squares[j] *= static_cast<double>(stride);
            }
        }
        return stats;
    }

    // The lead of tid's node merges its replica with the global model, which
    // takes the L1 penalty owed up to u there: the replicas' changes, each
    // clipped at zero, would not add up to zero (as in local SGD, see
    // replica_solver.cpp), and node replicas' books would charge the penalty
    // once per node.
    void merge_node(int tid, double eta, double u) {
        nodes_.merge(tid, eta, [&](std::int64_t j) -> double& { return global_value(j); },
                     [&](std::int64_t j, double& w) { settle_global_l1(u, j, w); });
    }
    void settle_global_l1(double u, std::int64_t j, double& w) {
        if (state_.l1.on() && j < problem_.n_features) state_.l1.settle_shared(u, j, w);
    }

    // Each thread, pinned where it will train, writes its replica first.
    void first_touch_replicas() {
        touch_where_placed(placement_, problem_.config.parallel.pin_threads, [&](int tid) {
            Replica& replica = replicas_[static_cast<std::size_t>(tid)];
            std::fill(replica.values.begin(), replica.values.end(), 0.0);
            std::fill(replica.scaled.begin(), replica.scaled.end(), 0.0);
            std::fill(replica.base.begin(), replica.base.end(), 0.0);
            for (std::size_t j = 0; j < replica.by_feature.size(); ++j)
                replica.by_feature[j] = SharedFeature{0.0, j < features_.size() ? features_[j] : FeatureInfo{0.0f, -1}};
        });
    }

    // The global model's coordinate j (j == n_features: the intercept).
    double& global_value(std::int64_t j) {
        return j == problem_.n_features ? shared_intercept_.value : weight(static_cast<std::size_t>(j));
    }

    // With several threads: the topology, the threads' placement (spread
    // over the nodes when each node keeps a replica) and the replicas.
    void place_threads_and_node_replicas(const FeatureStats& stats, std::int64_t n_train) {
        const bool several = problem_.n_threads > 1;
        const Topology topology = several ? machine_topology(problem_.config.parallel.topology) : Topology{};
        const bool per_node = several && replicas_on_ && node_replicas_wanted(problem_.config.parallel, topology);
        placement_ = several ? place_threads(topology, problem_.n_threads, per_node)
                             : packed_placement(problem_.config.parallel, 1);
        if (per_node) {
            const std::int64_t n = problem_.n_features;
            const double rows = std::max<double>(1.0, static_cast<double>(n_train));
            std::vector<float> frequency(static_cast<std::size_t>(n) + 1, 1.0f);  // last: the intercept
            std::vector<float> stiffness(static_cast<std::size_t>(n) + 1,
                                         static_cast<float>(problem_.config.objective.intercept_decay));
            for (std::size_t j = 0; j < static_cast<std::size_t>(n); ++j) {
                frequency[j] = static_cast<float>(stats.rows[j] / rows);
                stiffness[j] = static_cast<float>(stats.squares[j] / rows);
            }
            std::vector<double> start(problem_.model.weights, problem_.model.weights + n);
            start.push_back(*problem_.model.intercept);
            nodes_ = NodeReplicas(placement_, problem_.config.parallel.pin_threads, n + 1, start.data(), frequency,
                                  stiffness, node_sync_rows(static_cast<int>(placement_.nodes_used().size())));
            node_data_ = NodeData<View>(problem_.X, problem_.targets, problem_.config.parallel.numa_data,
                                        problem_.config.sampling, placement_, problem_.config.parallel.pin_threads,
                                        nodes_);
        }
        for (int tid = 0; tid < problem_.n_threads; ++tid) {
            Replica& replica = replicas_[static_cast<std::size_t>(tid)];
            replica.shared_weights = nodes_.on() ? nodes_.values_of(tid) : weights_.data();
            replica.shared_intercept = nodes_.on() ? nodes_.values_of(tid) + problem_.n_features : &shared_intercept_.value;
            replica.co_writers =
                (nodes_.on() ? nodes_.threads_of(nodes_.replica_of(tid)) : problem_.n_threads) - 1;
        }
    }

    // Rows of a node between merges of its replica: as asked, or by default
    // so that a lead's merges (a pass over the model) cost about a
    // sixteenth of its rows' work, and not more often than its thread
    // replica's merges.
    std::int64_t node_sync_rows(int n_nodes) const {
        if (problem_.config.parallel.node_sync_every > 0) return problem_.config.parallel.node_sync_every;
        const double nnz_per_row =
            problem_.X.n_rows > 0 ? static_cast<double>(problem_.X.nnz()) / problem_.X.n_rows : 1.0;
        const std::int64_t lead_rows = std::clamp<std::int64_t>(
            static_cast<std::int64_t>(kNodeMergeWorkRatio * static_cast<double>(problem_.n_features) / std::max(1.0, nnz_per_row)),
            refresh_every_, std::max<std::int64_t>(refresh_every_, problem_.X.n_rows));
        return lead_rows * std::max(1, problem_.n_threads / std::max(1, n_nodes));
    }

    // Rows of a thread between merges of its frequent slots, by default:
    // kDefaultSyncRows, or on many rows fewer merges, at least
    // kMinFrequentMergesPerEpoch of them a thread and epoch (see there).
    std::int64_t default_sync_rows(std::int64_t n_train) const {
        const std::int64_t per_thread = n_train / std::max(1, problem_.n_threads);
        return std::clamp<std::int64_t>(per_thread / kMinFrequentMergesPerEpoch, kDefaultSyncRows, kMaxDefaultSyncRows);
    }

    void build_slots(const FeatureStats& stats, std::int64_t n_train) {
        if (scales_weights()) {
            // one thread and ScaledWeights: no replica, no per-feature
            // information read, and none built (partial_fit on 2**20 hashed
            // features built three arrays of that size every call)
            shared_intercept_.value = *problem_.model.intercept;
            weights_.assign(problem_.model.weights, problem_.model.weights + problem_.n_features);
            scaled_weights_ = true;
            return;
        }
        const std::vector<std::uint32_t>& counts = stats.rows;
        features_.resize(static_cast<std::size_t>(problem_.n_features));
        for (std::int64_t j = 0; j < problem_.n_features; ++j) {
            const auto c = counts[static_cast<std::size_t>(j)];
            features_[static_cast<std::size_t>(j)] =
                FeatureInfo{c > 0 ? static_cast<float>(static_cast<double>(n_train) / c) : 0.0f, -1};
        }
        shared_intercept_.value = *problem_.model.intercept;

        // The locked baseline serializes whole rows on the shared weights:
        // private replicas would bypass its lock, so it has none.
        const bool locked = std::is_same_v<Policy, LockedWrites>;
        std::int64_t n_hot = 0;
        if (locked) {
        } else if (problem_.config.parallel.hot_features >= 0) {
            n_hot = std::min(problem_.config.parallel.hot_features, problem_.n_features);
        } else if (replicates_every_feature_scaled()) {
            n_hot = problem_.n_features;
        } else if (problem_.n_threads > 1) {
            for (const auto c : counts) n_hot += c > 0 ? 1 : 0;
            n_hot = std::min(n_hot, kMaxAutoReplicatedFeatures);
        }
        std::vector<std::int64_t> by_count(static_cast<std::size_t>(n_hot > 0 ? problem_.n_features : 0));
        std::iota(by_count.begin(), by_count.end(), std::int64_t{0});
        // The n_hot most frequent features, the first kMaxFrequentFeatures of
        // them by frequency (the frequent tier is a prefix of the slots), the
        // rest in any order: linear time, where sorting them all cost 10-20
        // ms on 100,000 features
        const auto more_frequent = [&](std::int64_t a, std::int64_t b) {
            return counts[static_cast<std::size_t>(a)] > counts[static_cast<std::size_t>(b)];
        };
        if (n_hot > 0 && n_hot < problem_.n_features)
            std::nth_element(by_count.begin(), by_count.begin() + n_hot, by_count.end(), more_frequent);
        std::partial_sort(by_count.begin(), by_count.begin() + std::min(n_hot, kMaxFrequentFeatures),
                          by_count.begin() + n_hot, more_frequent);
        hot_features_.assign(by_count.begin(), by_count.begin() + n_hot);
        for (std::size_t s = 0; s < hot_features_.size(); ++s)
            features_[static_cast<std::size_t>(hot_features_[s])].replica_slot = static_cast<std::int32_t>(s);
        slots_by_feature_.clear();
        slots_by_feature_.reserve(hot_features_.size());
        for (const FeatureInfo& feature : features_)
            if (feature.replica_slot >= 0) slots_by_feature_.push_back(feature.replica_slot);
        replicas_on_ = !locked && (problem_.n_threads > 1 || n_hot > 0);
        std::int64_t n_occurring = 0;
        for (const auto c : counts) n_occurring += c > 0 ? 1 : 0;
        replicas_by_feature_ = replicas_on_ && n_hot >= n_occurring && by_feature_replicas_fit();
        scaled_weights_ = scales_weights() && !replicas_on_;
        scaled_replicas_ = replicas_by_feature_ && penalty_is_one_factor();
        // ScaledWeights apply the penalty to every weight alike: the per-feature
        // penalty weights stay unread, and a plain array of weights is half the
        // bytes of colocated_'s (measured with the other changes of its commit:
        // a one-thread epoch of 1M x 100k Zipf rows in data order,
        // bench_sparse_sgd --shuffle 0, 0.147 -> 0.120 s)
        if (replicas_on_ || kDense || scaled_weights_) {
            weights_.assign(problem_.model.weights, problem_.model.weights + problem_.n_features);
        } else {
            colocated_.resize(features_.size());
            for (std::size_t j = 0; j < features_.size(); ++j)
                colocated_[j] = SharedFeature{problem_.model.weights[j], features_[j]};
            features_ = {};
        }
        n_frequent_ = 0;
        while (n_frequent_ < std::min<std::int64_t>(n_hot, kMaxFrequentFeatures) &&
               counts[static_cast<std::size_t>(hot_features_[static_cast<std::size_t>(n_frequent_)])] >=
                   kFrequentFeatureMinFraction * static_cast<double>(n_train))
            ++n_frequent_;
        sync_every_ = std::clamp<std::int64_t>(
            problem_.config.parallel.sync_every > 0 ? problem_.config.parallel.sync_every : default_sync_rows(n_train), 1,
            std::max<std::int64_t>(1, problem_.X.n_rows));
        const double nnz_per_row =
            problem_.X.n_rows > 0 ? static_cast<double>(problem_.X.nnz()) / problem_.X.n_rows : 1.0;
        refresh_every_ =
            std::clamp<std::int64_t>(static_cast<std::int64_t>(kRefreshWorkRatio * n_hot / std::max(1.0, nnz_per_row)),
                                     sync_every_, std::max<std::int64_t>(sync_every_, problem_.X.n_rows));

        // For the merge weights (see merge_slots), per slot and tier interval:
        // the probability that one other thread updated the slot too, and the
        // expected sum of x^2 over this thread's updates of it.
        const double n = std::max<double>(1.0, static_cast<double>(n_train));
        others_touch_probability_.assign(static_cast<std::size_t>(n_hot) + 1, 1.0f);  // last: intercept
        stiffness_per_step_.assign(
            static_cast<std::size_t>(n_hot) + 1,
            static_cast<float>(problem_.config.objective.intercept_decay * static_cast<double>(sync_every_)));
        for (std::int64_t slot = 0; slot < n_hot; ++slot) {
            const auto j = static_cast<std::size_t>(hot_features_[static_cast<std::size_t>(slot)]);
            const double rows = static_cast<double>(slot < n_frequent_ ? sync_every_ : refresh_every_);
            const double frequency = std::min(1.0, static_cast<double>(counts[j]) / n);
            others_touch_probability_[static_cast<std::size_t>(slot)] =
                static_cast<float>(1.0 - std::pow(1.0 - frequency, rows));
            stiffness_per_step_[static_cast<std::size_t>(slot)] = static_cast<float>(stats.squares[j] / n * rows);
        }
    }

    // Weight of feature j as this thread sees it.
    // (j == n_features: the intercept)
    // ScaledWeights: the common factor multiplied into the weights.
    void fold_scale() {
        for (double& w : weights_) w *= scale_;
        scale_ = 1.0;
    }

    double current_weight(std::size_t j, Replica* replica) {
        if (j == static_cast<std::size_t>(problem_.n_features))
            return replica != nullptr ? replica->get(hot_features_.size()) : Policy::read(shared_intercept_.value);
        if (replica == nullptr) return Policy::read(weight(j)) * scale_;
        const std::int32_t slot = features_[j].replica_slot;
        return slot >= 0 ? replica->get(static_cast<std::size_t>(slot)) : Policy::read(replica->shared_weights[j]);
    }

    // Weight j (the intercept: j = n_features) as a mid-epoch snapshot of
    // the average takes it: thread 0's view, or with node replicas about
    // the global model as the replicas' merges would leave it now (left
    // out: the thread replicas' changes since their last merge, and an L1
    // penalty a merge would settle).
    // Why not thread 0's view there: it is its node's replica, which under
    // numa_data="shard" trains on its own shard only; on a9a sorted by
    // label the average of its snapshots was near a model of one class
    // (test accuracy 0.77; now 0.81). The cost: every snapshot reads the
    // other nodes' replicas, across the interconnect on a machine of
    // several nodes (not measured there; snapshots at the node merges'
    // pace ended sorted a9a at 0.80).
    double snapshot_weight(std::size_t j, Replica* replica, double eta) {
        if (!nodes_.on()) return current_weight(j, replica);
        const auto jj = static_cast<std::int64_t>(j);
        return nodes_.merged_value(jj, eta, std::atomic_ref<double>(global_value(jj)).load(std::memory_order_relaxed));
    }

    // The shared weight of feature j, in either layout.
    double& weight(std::size_t j) { return colocated_.empty() ? weights_[j] : colocated_[j].weight; }

    // The shared value of a replica slot, in the model the replica merges into.
    double& shared_value(Replica& replica, std::size_t slot) {
        return slot < hot_features_.size() ? replica.shared_weights[static_cast<std::size_t>(hot_features_[slot])]
                                           : *replica.shared_intercept;
    }

    // Add this thread's changes to slots [begin, end) and the intercept to
    // the shared weights (atomically: merges are rare), apply the L1
    // penalty owed (cumulative L1: the replicas' steps leave it out), then
    // reload them.
    // `order`: the slots to merge, [begin, end) of it (null: the slots themselves).
    void merge_slots(Replica& replica, std::size_t begin, std::size_t end, double eta, const L1Clock& clock,
                     const std::int64_t* order = nullptr) {
        // Summing the threads' changes is right where they are independent
        // progress, but where a slot's updates in an interval are stiff
        // enough to settle it (expected sum of eta x^2 >= 1) and other
        // threads likely updated it too, each change is the same correction
        // found from a different start: adding them all would overshoot by
        // the number of threads (measured: 2-thread a9a fits diverging under
        // CPU contention). Such changes are averaged instead, smoothly in
        // between.
        const double others = static_cast<double>(replica.co_writers);
        auto merge_one = [&](std::size_t slot) {
            double& shared = shared_value(replica, slot);
            const double settled = std::min(1.0, eta * static_cast<double>(stiffness_per_step_[slot]));
            const double weight = 1.0 / (1.0 + others * others_touch_probability_[slot] * settled);
            const double delta = (replica.get(slot) - replica.base[slot]) * weight;
            if (delta != 0.0) atomic_add(shared, delta);
            if (clock.on() && slot < hot_features_.size() && !nodes_.on()) {  // (node replicas: in the node merges)
                state_.l1.settle_shared(clock.u(), hot_features_[slot], shared, weight);
            }
            replica.base[slot] = Policy::read(shared);
            replica.set(slot, replica.base[slot]);
        };
        for (std::size_t k = begin; k < end; ++k) merge_one(order != nullptr ? static_cast<std::size_t>(order[k]) : k);
        merge_one(hot_features_.size());
    }

    // `eta`: the step size now, which sets how far an interval's updates move
    void merge_frequent(Replica& replica, double eta, const L1Clock& clock) {
        merge_slots(replica, 0, static_cast<std::size_t>(n_frequent_), eta, clock);
    }
    // Every slot, in the order of their features: the shared weights (and
    // by-feature replicas) are then read in address order, each cache line
    // once, where slot order (by frequency) read them out of order, a line
    // up to 8 times (2 threads on a 200k x 50k Zipf problem: 1.37x one
    // thread before, 1.67x after; see kRefreshWorkRatio).
    void merge_replica(Replica& replica, double eta, const L1Clock& clock) {
        merge_slots(replica, 0, hot_features_.size(), eta, clock, slots_by_feature_.data());
    }

    // Start from the shared values, dropping nothing: used before an epoch.
    void refresh_replica(Replica& replica) {
        replica.scale = 1.0;
        for (std::size_t slot = 0; slot < replica.size(); ++slot) {
            replica.base[slot] = Policy::read(shared_value(replica, slot));
            replica.set(slot, replica.base[slot]);
        }
    }

    // Where a thread's rows come from: positions of `order` index rows of
    // `X`, whose labels, weights and validation flags `targets` holds at the
    // same index (node_data.hpp).
    struct Rows {
        const View& X;
        const std::int64_t* order;
        const Targets& targets;
    };

    // Node `node`'s shard (numa_data="shard"), in its order this epoch.
    Rows shard_rows(int node) const {
        return Rows{node_data_.view(node), node_data_.order(node), node_data_.targets(node)};
    }

    // (a NextShare that hands out one share)
    static auto once(Share share) {
        return [share, taken = false](Share& next) mutable {
            next = share;
            return !std::exchange(taken, true);
        };
    }

    // The rows of the shares `next_share(share)` hands out (while it returns
    // true). `chunked`: shares taken as the threads come, so that a row's
    // position in the epoch's order counts the updates before it.
    template <class NextShare>
    void run_rows(const Epoch& epoch, const Rows& rows, NextShare next_share, int tid, int team_size,
                  ThreadTeam& team, Replica& replica, L1Clock& clock, LossSum& loss_sum, std::int64_t& updates,
                  bool chunked = false) {
        // Threads merge at staggered times so that they do not contend for the
        // same cache lines in the same moment.
        std::int64_t since_merge = sync_every_ * tid / team_size;
        std::int64_t since_refresh = refresh_every_ * tid / team_size;
        std::int64_t since_snapshot = 0;
        std::int64_t since_node_merge = 0;
        const bool leads_node = nodes_.on() && nodes_.leads(tid);
        Replica* mine = replicas_on_ ? &replica : nullptr;
        std::int64_t done = 0;  // this thread's rows (positions) so far
        Share share;
        while (next_share(share)) {
            for (std::int64_t position = share.begin; position < share.end; ++position, ++done) {
                if (team.stop_at(tid, done)) return;
                prefetch_ahead(rows.X, rows.order, position, share.end);
                const std::int64_t r = rows.order[position];
                if (!is_training_row(rows.targets, r)) continue;
                // The schedule runs on the global update count: the row's
                // position, or with fixed shares an estimate from this
                // thread's progress as if threads took turns.
                const double t = epoch.t_start + static_cast<double>(chunked ? position : updates * team_size + tid);
                loss_sum.add(step(rows.X.row(r), rows.targets.y[r], rows.targets.sample_weight[r], t, epoch.eta, mine,
                                  clock));
                ++updates;
                if (state_.average.on() && tid == 0 && ++since_snapshot == state_.average.snapshot_every()) {
                    state_.average.snapshot(state_.average.clock_at(t),
                                            [&, eta = problem_.step_size(t, epoch.eta)](std::size_t s) {
                                                return snapshot_weight(s, mine, eta);
                                            });
                    since_snapshot = 0;
                }
                if (replicas_on_ && ++since_refresh == refresh_every_) {
                    merge_replica(replica, problem_.step_size(t, epoch.eta), clock);
                    since_refresh = since_merge = 0;
                } else if (replicas_on_ && ++since_merge == sync_every_) {
                    merge_frequent(replica, problem_.step_size(t, epoch.eta), clock);
                    since_merge = 0;
                }
                if (leads_node && ++since_node_merge == nodes_.lead_rows()) {
                    const double eta = problem_.step_size(t, epoch.eta);
                    merge_replica(replica, eta, clock);  // (its own changes first)
                    merge_node(tid, eta, clock.u());
                    since_refresh = since_merge = since_node_merge = 0;
                }
            }
        }
    }

    // The weights as one thread reads and writes them (see row_step.hpp), a
    // type for each layout, so that the step's loops do not ask which one
    // at every coordinate. Plain pointers, copied into the step, so that they
    // stay in registers.
    // Without replicas: every feature shared, weight and FeatureInfo on one slot.
    struct SharedWeights {
        SharedFeature* features;
        double* shared_intercept;

        double read(std::int64_t j) const { return Policy::read(features[j].weight); }
        template <class Next>
        void update(std::int64_t j, Next&& next) {
            SharedFeature& feature = features[j];
            const double scale = feature.info.regularization_scale;
            Policy::modify(feature.weight, [&](double w) { return next(w, scale); });
        }
        double intercept() const { return Policy::read(*shared_intercept); }
        void add_to_intercept(double change) {
            Policy::modify(*shared_intercept, [&](double b) { return b + change; });
        }
    };
    // One thread alone, plain sgd, an L2 penalty and no L1 (scaled_weights_):
    // w_j = scale x v_j, and every row shrinks all weights by one product on
    // the scale (scikit-learn's WeightVector does the same). The per-feature
    // penalty of several threads (each row shrinks the features it touches,
    // k_j times) minimizes the same objective but writes every coordinate of
    // every row; here a row whose loss step is zero (with the hinge loss most
    // rows near the optimum: 94% of dna's) writes nothing. One class, hinge,
    // 20 epochs: dna.scale 6.7 -> 4.4 ms (the sequential solver 3.8), a
    // dense 100,000 x 50 problem 380 -> 222 ms.
    // (a plain array on sparse data too: the penalty weights k_j go unread)
    struct ScaledWeights {
        double* weights;
        double* shared_intercept;
        double* factor;  // (the solver's scale_)

        double scale() const { return *factor; }
        double& stored(std::int64_t j) { return weights[j]; }
        double read(std::int64_t j) const { return weights[j] * *factor; }
        void shrink_all(double by) { *factor *= by; }
        template <class Next>
        void update(std::int64_t j, Next&& next) {  // (the optimizers' step, which does not use these weights)
            weights[j] = next(read(j), 1.0) / *factor;
        }
        double intercept() const { return *shared_intercept; }
        void add_to_intercept(double change) { *shared_intercept += change; }
    };

    // With replicas: the replica's slots, the shared vector through the write policy.
    struct ReplicaWeights {
        double* shared;
        const FeatureInfo* features;
        Replica* replica;
        std::size_t intercept_slot;
        // node replicas: the global model takes the L1 penalty, in the node
        // merges, and a write to a feature outside the thread replica is a
        // compare-and-swap (a racy store could undo the node's lead's
        // write-back of the other nodes' changes, which its next merge would
        // then subtract from the global model)
        bool node_replicas;

        double read(std::int64_t j) const {
            const std::int32_t slot = features[j].replica_slot;
            return slot >= 0 ? replica->values[static_cast<std::size_t>(slot)] : Policy::read(shared[j]);
        }
        template <class Next>
        void update(std::int64_t j, Next&& next) {
            const FeatureInfo feature = features[j];
            const double scale = feature.regularization_scale;
            if (feature.replica_slot >= 0) {
                double& value = replica->values[static_cast<std::size_t>(feature.replica_slot)];
                value = next(value, scale);
            } else if (node_replicas) {
                AtomicWrites::modify(shared[j], [&](double w) { return next(w, scale); });
            } else {
                Policy::modify(shared[j], [&](double w) { return next(w, scale); });
            }
        }
        // (cumulative L1: a replicated feature takes it in the merges)
        template <class WithL1, class WithoutL1>
        void update_l1(std::int64_t j, WithL1&& with_l1, WithoutL1&& without_l1) {
            if (node_replicas || features[j].replica_slot >= 0)
                update(j, without_l1);
            else
                update(j, with_l1);
        }
        double intercept() const { return replica->values[intercept_slot]; }
        void add_to_intercept(double change) { replica->values[intercept_slot] += change; }
    };
    // Dense data without replicas: every row holds every feature, so every
    // penalty weight is 1 (n_train / n_train) and the weights are one plain
    // array, which the step's loops read and write in order.
    struct DenseSharedWeights {
        double* shared;
        double* shared_intercept;

        double read(std::int64_t j) const { return Policy::read(shared[j]); }
        template <class Next>
        void update(std::int64_t j, Next&& next) {
            Policy::modify(shared[j], [&](double w) { return next(w, 1.0); });
        }
        double intercept() const { return Policy::read(*shared_intercept); }
        void add_to_intercept(double change) {
            Policy::modify(*shared_intercept, [&](double b) { return b + change; });
        }
    };
    // With replicas by feature (every feature a step touches is replicated).
    struct ByFeatureReplicaWeights {
        SharedFeature* mine;  // [n_features]: the intercept
        std::int64_t intercept_index;

        double read(std::int64_t j) const { return mine[j].weight; }
        template <class Next>
        void update(std::int64_t j, Next&& next) {
            SharedFeature& feature = mine[j];
            feature.weight = next(feature.weight, feature.info.regularization_scale);
        }
        // (cumulative L1: every feature here is replicated and takes it in the merges)
        template <class WithL1, class WithoutL1>
        void update_l1(std::int64_t j, WithL1&&, WithoutL1&& without_l1) {
            update(j, without_l1);
        }
        double intercept() const { return mine[intercept_index].weight; }
        void add_to_intercept(double change) { mine[intercept_index].weight += change; }
    };

    template <class Row>
    RowLoss step(const Row& row, double y, double sample_weight, double t, double epoch_eta, Replica* replica,
                L1Clock& clock) {
        typename Policy::RowGuard guard(policy_);
        const double eta = problem_.step_size(t, epoch_eta);
        if (std::is_same_v<Policy, SoleWrites> && scaled_weights_) {
            const RowLoss loss = linear_row_step(problem_.config, problem_.strength, row, y, sample_weight, eta, t,
                                                problem_.n_features,
                                                ScaledWeights{weights_.data(), &shared_intercept_.value, &scale_},
                                                state_.optimizer, state_.l1, clock);
            if (scale_ < kMinScale) fold_scale();
            return loss;
        }
        if constexpr (kDense) {
            if (replica == nullptr)
                return linear_row_step(problem_.config, problem_.strength, row, y, sample_weight, eta, t,
                                       problem_.n_features, DenseSharedWeights{weights_.data(), &shared_intercept_.value},
                                       state_.optimizer, state_.l1, clock);
        }
        if (replica == nullptr)
            return linear_row_step(problem_.config, problem_.strength, row, y, sample_weight, eta, t,
                                   problem_.n_features, SharedWeights{colocated_.data(), &shared_intercept_.value},
                                   state_.optimizer, state_.l1, clock);
        if (scaled_replicas_) {
            const RowLoss loss = linear_row_step(problem_.config, problem_.strength, row, y, sample_weight, eta, t,
                                                problem_.n_features,
                                                ScaledWeights{replica->scaled.data(), &replica->scaled.back(), &replica->scale},
                                                state_.optimizer, state_.l1, clock);
            if (replica->scale < kMinScale) replica->fold_scale();
            return loss;
        }
        if (replicas_by_feature_)
            return linear_row_step(problem_.config, problem_.strength, row, y, sample_weight, eta, t,
                                   problem_.n_features, ByFeatureReplicaWeights{replica->by_feature.data(), problem_.n_features},
                                   state_.optimizer, state_.l1, clock);
        return linear_row_step(problem_.config, problem_.strength, row, y, sample_weight, eta, t, problem_.n_features,
                               ReplicaWeights{replica->shared_weights, features_.data(), replica, hot_features_.size(), nodes_.on()},
                               state_.optimizer, state_.l1, clock);
    }

    static constexpr bool kDense = std::is_same_v<typename View::Row, DenseRow<typename View::value_type>>;
    const SolverProblem<View> problem_;

    // the shared weights (published to problem_.model per epoch): with
    // replicas, or on dense data, weights_ and features_, without them
    // colocated_ (see SharedFeature)
    std::vector<double> weights_;
    std::vector<FeatureInfo> features_;
    std::vector<SharedFeature> colocated_;
    std::vector<std::int64_t> hot_features_;
    std::vector<std::int64_t> slots_by_feature_;  // the slots ordered by their features
    std::vector<Replica> replicas_;  // one per thread
    bool replicas_on_ = false;
    bool replicas_by_feature_ = false;  // replicas by feature (see Replica)
    bool scaled_replicas_ = false;      // by feature, scaled (see Replica)
    // the rows a sample of feature statistics reads (about)
    static constexpr std::int64_t kFeatureStatsSampleRows = std::int64_t{1} << 16;
    static constexpr std::int64_t kFeatureStatsBlockRows = 64;  // consecutive rows of a sampled block
    std::int64_t n_frequent_ = 0;                  // replica slots merged every sync_every_ rows
    std::vector<float> others_touch_probability_;  // per replica slot
    std::vector<float> stiffness_per_step_;        // expected sum of x^2 per merge interval
    std::int64_t sync_every_ = 1;                  // rows between merges of the frequent slots
    std::int64_t refresh_every_ = 1;               // rows between merges of all slots
    PaddedDouble shared_intercept_;
    // ScaledWeights (one thread, see there): the weights' common factor,
    // multiplied into them at every epoch's end and before it gets this small
    bool scaled_weights_ = false;
    double scale_ = 1.0;
    // (far below scikit-learn's 1e-9: a fold costs O(features), and a
    // strong penalty, eta alpha = 0.1, reaches 1e-9 every 220 rows; a
    // double keeps its precision down to 1e-300, and the weights' values
    // grow by no more than 1 / scale)
    static constexpr double kMinScale = 1e-100;
    // chunked shares (several threads, the caller's rows): the next chunk's first position
    static constexpr std::int64_t kMinChunkedRows = 65536;
    static constexpr std::int64_t kChunksPerThread = 16;
    static constexpr std::int64_t kMinChunkRows = 64;
    static constexpr std::int64_t kMaxChunkRows = 4096;
    alignas(64) std::atomic<std::int64_t> next_chunk_{0};
    ThreadPlacement placement_;  // where the threads run
    NodeReplicas nodes_;         // a model replica per NUMA node (off: every thread writes the global model)
    NodeData<View> node_data_;   // node-local copies of the data (off: the caller's arrays)
    Policy policy_;
    SharedRowsState state_;  // optimizer state, averages, L1 books, epoch sums
    double t_ = 1.0;         // scikit-learn's t after the last published epoch
};

template <class View>
std::unique_ptr<TrainingSession> make_hogwild_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                      const ModelState& model) {
    // several threads, reproducibly: the replicas' changes summed at fixed points
    if (config.parallel.deterministic && config.parallel.n_threads > 1)
        return make_deterministic_hogwild_session(X, targets, config, model);
    // (one thread: no write can race another, whichever policy was asked for;
    // the locked baseline stays as it is)
    if (config.parallel.n_threads <= 1 && config.parallel.write != WritePolicyKind::locked)
        return make_solver_session<View, HogwildSolver<View, SoleWrites>>(X, targets, config, model);
    switch (config.parallel.write) {
        case WritePolicyKind::atomic:
            return make_solver_session<View, HogwildSolver<View, AtomicWrites>>(X, targets, config, model);
        case WritePolicyKind::locked:
            return make_solver_session<View, HogwildSolver<View, LockedWrites>>(X, targets, config, model);
        case WritePolicyKind::racy:
            break;
    }
    return make_solver_session<View, HogwildSolver<View, RacyWrites>>(X, targets, config, model);
}

}  // namespace hogwild

HOGWILD_INSTANTIATE_SOLVER(make_hogwild_session)
