// The one configuration every solver takes and the one result every solver
// returns. Solvers differ only in how they spread the work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "hogwild/core/enums.hpp"
#include "hogwild/math/loss.hpp"

namespace hogwild {

// The configuration, in the groups a solver reads. The objective is the
// linear models' own; the rest (step rule, stopping, row sampling, the
// parallel layout, the solver options) is what any model trained by SGD
// over rows shares (a matrix factorization too).
//
// Adding a knob: a field here, a row in the bindings' option table
// (cpp/bindings/config_options.cpp) and one in the Python parameter table
// (python/hogwild/_parameters.py).

// What is minimized: the loss of a linear model plus its penalty.
struct LinearObjective {
    LossFunction loss;
    bool classifier = true;  // validation is scored as accuracy (else R^2)
    Penalty penalty = Penalty::l2;
    double alpha = 1e-4;
    double l1_ratio = 0.15;
    bool fit_intercept = true;
    double weight_pos = 1.0;  // class weights of y > 0 and y <= 0
    double weight_neg = 1.0;
    double intercept_decay = 1.0;
};

// How a gradient becomes a step: the learning rate, the per-coordinate
// optimizer, iterate averaging.
// decay_on_plateau's state (see EpochDriver::note_plateau): the best epoch
// objective so far, the epochs seen, and C (infinite before the plateau).
struct PlateauState {
    double best_objective = std::numeric_limits<double>::infinity();
    int epochs = 0;
    double decay = std::numeric_limits<double>::infinity();
};

struct StepRule {
    LearningRate learning_rate = LearningRate::optimal;
    double eta0 = 0.0;
    double power_t = 0.5;
    // the "optimal" rate's step at t = 1 (its t0 = 1 / (alpha initial_eta));
    // 0: Bottou's heuristic, scikit-learn's
    double initial_eta = 0.0;
    // the "optimal" rate from an epoch whose objective improved on the best
    // before it by less than 0.1%: min(rate, C / t), C the step there times
    // t (learning_rate="auto" on the row-wise solvers; see EpochDriver)
    bool decay_on_plateau = false;
    // ... and its state at the start of this call, from the call before
    // (partial_fit continues a fit's decay; the defaults: none seen yet)
    PlateauState plateau;
    // momentum / nesterov: the velocity set to zero after an epoch whose
    // objective rose above the epoch's before (adaptive restart: gd under
    // learning_rate="auto"; see EpochDriver::note_objective)
    bool restart_momentum = false;
    // exponential / step learning rates
    double gamma = 0.9;
    int step_epochs = 10;
    double t_start = 1.0;  // scikit-learn's t_ (number of updates so far + 1)
    int epoch_start = 0;   // epochs trained before this call (partial_fit), for epoch-wise rates
    std::int64_t average = 0;  // 0: off; otherwise average from step t >= average
    Optimizer optimizer = Optimizer::sgd;
    double momentum = 0.9;        // momentum, nesterov
    double beta1 = 0.9;           // adam
    double beta2 = 0.999;         // adam, rmsprop (decay of the squared gradients)
    double optimizer_eps = 1e-8;  // adagrad, rmsprop, adam
};

// When training stops.
struct Stopping {
    int max_iter = 1000;
    double tol = -std::numeric_limits<double>::infinity();  // -inf: never stop early
    int n_iter_no_change = 5;
    bool early_stopping = false;
};

// The order rows are visited in.
struct RowSampling {
    bool shuffle = true;
    std::int64_t shuffle_block_size = 1;  // >1: permute blocks of consecutive rows
    std::int64_t shuffle_buffer_blocks = 1;  // >1: rows of this many blocks interleaved, one from each stratum (row_order.hpp)
    std::uint32_t seed = 1;
};

// How the threads are laid out (ignored by the sequential solver).
struct ParallelLayout {
    int n_threads = 1;
    WritePolicyKind write = WritePolicyKind::racy;
    std::int64_t hot_features = -1;  // features in thread replicas; -1: auto; 0: none
    std::int64_t sync_every = -1;    // rows between replica merges; -1: auto
    bool pin_threads = true;
    bool deterministic = false;  // hogwild: several threads' updates combined at fixed points, in a fixed order
    NumaMode numa = NumaMode::automatic;   // hogwild: a model replica per NUMA node (see thread_placement.hpp)
    std::int64_t node_sync_every = -1;     // rows of a node between its replica's merges; -1: auto
    NumaData numa_data = NumaData::off;    // with node replicas: node-local copies of the data
    std::string topology;                  // "NxM": a simulated topology; empty: HOGWILD_TOPOLOGY, else sysfs
};

// Knobs of one solver each.
struct SolverOptions {
    std::int64_t batch_size = 256;           // minibatch, async
    double elasticity = 0.1;                 // easgd: pull between replicas and the center
    int max_staleness = 8;                   // async: updates a gradient's snapshot may lag
    bool staleness_aware = true;             // async: divide the step by the staleness
    Precision precision = Precision::int16;  // buckwild
};

struct TrainConfig {
    LinearObjective objective;
    StepRule step;
    Stopping stopping;
    RowSampling sampling;
    ParallelLayout parallel;
    SolverOptions solver;
};

// The caller's model buffers, updated in place (warm starts read them).
struct ModelState {
    double* weights = nullptr;  // n_features
    double* intercept = nullptr;
    double* average_weights = nullptr;  // n_features, used when average > 0
    double* average_intercept = nullptr;
    std::int64_t n_features = 0;
};

// Per-example inputs besides X.
struct Targets {
    const double* y = nullptr;
    const double* sample_weight = nullptr;
    const std::uint8_t* validation_mask = nullptr;  // may be null: no validation rows
};

struct EpochRecord {
    // mean loss of the epoch's updates (each taken before its step) plus the
    // penalty of the weights at the epoch's end
    double objective = 0.0;
    double seconds = 0.0;
    std::int64_t updates = 0;
    double examples_per_second = 0.0;
    double validation_score = std::numeric_limits<double>::quiet_NaN();
    // async solver: applied updates by staleness (0..max_staleness), and
    // gradients dropped for being staler than that
    std::vector<std::int64_t> staleness_counts;
    std::int64_t stale_dropped = 0;
};

struct TrainResult {
    int n_iter = 0;
    double t = 1.0;  // scikit-learn's t_ after training
    bool interrupted = false;
    bool stopped_by_callback = false;  // the epoch callback returned false
    bool converged = false;            // the stopping rule (tol, early_stopping) ended training
    bool diverged = false;  // weights or intercept became inf/NaN
    int threads_used = 1;
    std::int64_t hot_features_used = 0;
    // where the threads ran: per thread, the CPU it was on as it started
    // (sched_getcpu; -1 unknown) and its node's id; the model replicas per node (0: one shared model)
    std::vector<int> thread_cpus;
    std::vector<int> thread_nodes;
    int node_replicas = 0;
    std::string data_placement = "in place";  // or "shard" / "replicate": node-local copies of the data
    std::string topology;  // where the topology came from: "sysfs", "affinity mask", "simulated 2x4"
    std::vector<EpochRecord> history;
    PlateauState plateau;  // decay_on_plateau's state after training, for the next call
};

// Polled by the calling thread between chunks of work; returning true stops
// training after the current chunk (used for Ctrl-C).
using InterruptCheck = std::function<bool()>;

// The model as it stands after an epoch, as the epoch callback sees it. The
// pointers are valid only during the call.
struct EpochSnapshot {
    int epoch = 0;  // 1-based, within this training run
    const EpochRecord* record = nullptr;
    double t = 1.0;  // scikit-learn's t_ after the epoch
    std::int64_t n_features = 0;
    const double* weights = nullptr;
    double intercept = 0.0;
    const double* average_weights = nullptr;  // null unless averaging
    double average_intercept = 0.0;
};

// Called on the calling thread after each epoch; returning false stops
// training there (progress bars, user callbacks, time budgets).
using EpochCallback = std::function<bool(const EpochSnapshot&)>;

// Called on the calling thread while an epoch runs, with the share of the
// epoch's rows done so far (an estimate: the calling thread's rows times
// the team's size, below 1), whenever the interrupt hook is polled: for
// progress bars that move within long epochs.
using ProgressHook = std::function<void(double)>;

// Replaces `count` values by their elementwise sums over every process
// taking part in a distributed fit (an MPI all-reduce, done by the caller:
// the core knows no MPI). Every process calls it at the same points with
// the same count; it may throw (a timeout), which ends the run.
using SumAcrossProcesses = std::function<void(double* values, std::int64_t count)>;

// What a solver reports to, and hears from, its caller while it runs.
struct TrainHooks {
    InterruptCheck interrupted;  // may be empty
    EpochCallback after_epoch;   // may be empty
    ProgressHook within_epoch;   // may be empty
    // may be empty; set: synchronous data-parallel training over processes
    // (the minibatch solver sums every step's gradient over them, and every
    // epoch ends with a vote: one process that stops stops them all)
    SumAcrossProcesses sum_across_processes;
    // may be null; once true, training stops at the end of the current
    // epoch as when after_epoch returns false (one-vs-rest classes trained
    // at the same time: another class's Ctrl-C or error). A flag, not a
    // callback, so that no epoch takes the GIL for it.
    const std::atomic<bool>* stop_requested = nullptr;
};

}  // namespace hogwild
