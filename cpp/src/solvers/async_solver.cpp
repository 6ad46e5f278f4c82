// Asynchronous SGD with bounded staleness (a parameter server in shared
// memory). Each worker thread computes the mean gradient of a mini-batch of
// `batch_size` rows on the shared weights as it reads them (its snapshot,
// taken at version v = number of updates applied so far), then applies it
// at version v' >= v. The staleness v' - v counts the other workers'
// updates in between:
//  * a gradient staler than `max_staleness` is dropped and recomputed on
//    fresh weights (bounded staleness);
//  * with `staleness_aware`, the step is divided by the staleness (Zhang,
//    Gupta, Lian & Liu 2016, "Staleness-aware Async-SGD"), so that stale
//    gradients move the model less.
// With one thread there is nobody to be stale against, so the solver
// simulates asynchrony instead: each gradient waits in a queue and is
// applied `max_staleness` updates after it was computed (the delayed SGD of
// Langford, Smola & Zinkevich 2009), deterministically. The staleness of
// every applied update is counted per epoch (EpochRecord.staleness_counts).
//
// Gradients still queued at the end of a run are applied before it returns
// (in its last epoch, or after the epoch the stopping rule ended it with), so
// that no work is lost between partial_fit calls.
//
// Learning-rate schedules count optimizer steps (batches). The penalty
// applies to the features a batch touches, once per row containing the
// feature scaled by n_train / (rows containing it), as in the other parallel
// solvers, through the one update rule (math/update_rule.hpp): proximal with
// plain sgd (L1 as the cumulative penalty), evaluated at the weights the
// step is applied to, so that a large eta * alpha cannot make it overshoot.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <vector>

#include "hogwild/linear/penalty.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/solver_problem.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "data_layouts.hpp"
#include "hogwild/core/write_policy.hpp"

namespace hogwild {

// A batch gradient waiting to be applied: the sparse sum over its rows.
struct PendingGradient {
    std::vector<std::int64_t> features;
    std::vector<double> values;
    std::vector<double> rows_with;  // rows of the batch containing each feature
    double intercept = 0.0;
    double rows = 0.0;         // rows it averages over
    std::int64_t version = 0;  // shared version its weights were read at
};

template <class View>
class AsyncSolver {
  public:
    AsyncSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : problem_(X, targets, config, model),
          batch_(std::max<std::int64_t>(1, config.solver.batch_size)),
          simulated_(problem_.n_threads == 1 && config.solver.max_staleness > 0),
          optimizer_(config, config.step.optimizer == Optimizer::sgd ? 0 : model.n_features + 1),
          average_(config, model, X.nnz(), X.n_rows) {
        scales_ = regularization_scales(problem_.X, problem_.targets, count_training_rows(targets, X.n_rows));
        weights_.assign(problem_.model.weights, problem_.model.weights + problem_.n_features);
        weights_.push_back(*problem_.model.intercept);
        steps_before_ = static_cast<std::int64_t>((problem_.config.step.t_start - 1.0) / static_cast<double>(batch_));
        // per-thread buffers, allocated before the parallel region (an exception there terminates)
        // but for the staleness histograms and the simulated queue, which
        // grow with the staleness seen, at most max_staleness (sized by
        // max_staleness itself, 2**31 - 1 took 22 GB before the first row;
        // work() runs guarded: a failed allocation there is an exception
        // raised to Python, as a MemoryError)
        const std::size_t histogram =
            static_cast<std::size_t>(std::min<std::int64_t>(problem_.config.solver.max_staleness, kInitialHistogram - 1)) + 1;
        workers_.assign(static_cast<std::size_t>(problem_.n_threads), Worker(problem_.n_features + 1, histogram));
    }

    int n_threads() const { return problem_.n_threads; }

    // (the session reads and writes its state)
    auto& optimizer() { return optimizer_; }

    // The caller wrote the model buffers: continue from them.
    void reload() {
        std::copy(problem_.model.weights, problem_.model.weights + problem_.n_features, weights_.begin());
        weights_.back() = *problem_.model.intercept;
        average_ =
            IterateAverage(problem_.config, problem_.model, problem_.X.nnz(), problem_.X.n_rows, published_t_end_);
    }

    void work(int tid, int team_size, const Epoch& epoch, ThreadTeam& team) {
        Worker& me = workers_[static_cast<std::size_t>(tid)];
        me.start_epoch();
        const Share share = share_of(problem_.X.n_rows, tid, team_size);
        for (std::int64_t from = share.begin; from < share.end; from += batch_) {
            const std::int64_t to = std::min(share.end, from + batch_);
            process_batch(me, epoch.rows, from, to, epoch.eta, team_size);
            if (team.stop_after(tid, to - from)) break;
        }
        // the queue is empty when the run's last epoch is published
        if (epoch.last && !team.stop_requested())
            while (simulated_ && !me.queue.empty()) apply_oldest(me);
    }

    // Every queued gradient is applied before the training call returns.
    void finish_run() {
        Worker& me = workers_.front();
        if (!simulated_ || me.queue.empty()) return;
        while (!me.queue.empty()) apply_oldest(me);
        publish_model(published_t_end_);
    }

    EpochOutcome publish(const Epoch& epoch) {
        EpochOutcome outcome;
        EpochRecord& record = outcome.record;
        // counts by staleness 0 .. the largest seen (at least staleness 0)
        std::size_t seen = 1;
        for (const Worker& worker : workers_)
            for (std::size_t s = worker.staleness.size(); s > seen; --s)
                if (worker.staleness[s - 1] != 0) {
                    seen = s;
                    break;
                }
        record.staleness_counts.assign(seen, 0);
        for (const Worker& worker : workers_) {
            outcome.loss_sum += worker.loss_sum;
            outcome.updates += worker.rows;
            record.stale_dropped += worker.dropped;
            for (std::size_t s = 0; s < std::min(seen, worker.staleness.size()); ++s)
                record.staleness_counts[s] += worker.staleness[s];
        }
        published_t_end_ = epoch.t_start + outcome.updates;
        publish_model(published_t_end_);
        return outcome;
    }

  private:
    // staleness bins a worker's histogram starts with (it doubles as needed)
    static constexpr std::int64_t kInitialHistogram = 64;

    // `t_end`: scikit-learn's t after the last update published.
    void publish_model(double t_end) {
        for (std::int64_t j = 0; j < problem_.n_features; ++j)
            problem_.model.weights[j] = weights_[static_cast<std::size_t>(j)];
        *problem_.model.intercept = weights_.back();
        if (average_.on()) {
            average_.snapshot(average_.clock_at(t_end - 1.0),
                              [&](std::size_t s) { return RacyWrites::read(weights_[s]); });
            average_.publish(problem_.model);
        }
    }

    struct Worker {
        std::vector<double> gradient;         // dense accumulator, zero between batches
        std::vector<double> rows_with;        // rows containing each feature, zero between batches
        std::vector<std::int64_t> touched;    // the features the batch's rows contain
        std::vector<std::int64_t> staleness;  // this epoch's histogram
        std::int64_t dropped = 0;
        double loss_sum = 0.0;
        double rows = 0.0;
        std::deque<PendingGradient> queue;   // simulated asynchrony (one thread)
        std::vector<PendingGradient> spare;  // recycled queue entries

        Worker(std::int64_t size, std::size_t histogram)
            : gradient(static_cast<std::size_t>(size), 0.0),
              rows_with(static_cast<std::size_t>(size), 0.0),
              staleness(histogram, 0) {
            touched.reserve(static_cast<std::size_t>(size));
        }
        void count_staleness(std::int64_t s) {
            const auto bin = static_cast<std::size_t>(s);
            if (bin >= staleness.size()) staleness.resize(std::max(bin + 1, 2 * staleness.size()), 0);
            ++staleness[bin];
        }
        void start_epoch() {
            std::fill(staleness.begin(), staleness.end(), 0);
            dropped = 0;
            loss_sum = 0.0;
            rows = 0.0;
        }
    };

    double read(std::int64_t j) { return RacyWrites::read(weights_[static_cast<std::size_t>(j)]); }

    // The summed loss gradient of rows [from, to) on the weights as read now.
    // Returns the number of training rows and adds their losses.
    double accumulate(Worker& me, const std::int64_t* rows, std::int64_t from, std::int64_t to, double& loss_sum) {
        double count = 0.0, intercept_gradient = 0.0;
        for (std::int64_t position = from; position < to; ++position) {
            prefetch_ahead(problem_.X, rows, position, to);
            const std::int64_t i = rows[position];
            if (!is_training_row(problem_.targets, i)) continue;
            const auto row = problem_.X.row(i);
            double p = read(problem_.n_features);
            for (std::int64_t k = 0; k < row.size(); ++k) p += read(row.index(k)) * row.value(k);
            const double y = problem_.targets.y[i];
            loss_sum += problem_.config.objective.loss.value(p, y);
            const double derivative = clipped(problem_.config.objective.loss.derivative(p, y)) *
                                      example_weight(problem_.config, y, problem_.targets.sample_weight[i]);
            for (std::int64_t k = 0; k < row.size(); ++k) {
                const auto j = static_cast<std::size_t>(row.index(k));
                if (me.rows_with[j]++ == 0.0) me.touched.push_back(row.index(k));
                me.gradient[j] += derivative * row.value(k);
            }
            intercept_gradient += derivative;
            count += 1.0;
        }
        me.gradient[static_cast<std::size_t>(problem_.n_features)] = intercept_gradient;
        return count;
    }

    void clear(Worker& me) {
        for (const std::int64_t j : me.touched) {
            me.gradient[static_cast<std::size_t>(j)] = 0.0;
            me.rows_with[static_cast<std::size_t>(j)] = 0.0;
        }
        me.touched.clear();
        me.gradient[static_cast<std::size_t>(problem_.n_features)] = 0.0;
    }

    double step_size(std::int64_t version, double epoch_eta, std::int64_t staleness) const {
        const double t = static_cast<double>(steps_before_ + version + 1);
        const double eta = problem_.step_size(t, epoch_eta);
        return problem_.config.solver.staleness_aware && staleness > 1 ? eta / static_cast<double>(staleness) : eta;
    }

    void process_batch(Worker& me, const std::int64_t* rows, std::int64_t from, std::int64_t to, double epoch_eta,
                       int team_size) {
        if (simulated_) epoch_eta_ = epoch_eta;
        while (true) {
            const std::int64_t read_version = version_.load(std::memory_order_acquire);
            double batch_loss = 0.0;
            const double count = accumulate(me, rows, from, to, batch_loss);
            if (count == 0.0) {
                clear(me);
                return;
            }
            if (simulated_) {
                enqueue(me, count, read_version);
                me.loss_sum += batch_loss;
                me.rows += count;
                return;
            }
            const std::int64_t staleness = version_.load(std::memory_order_acquire) - read_version;
            if (staleness > problem_.config.solver.max_staleness) {  // too stale: recompute on fresh weights
                ++me.dropped;
                clear(me);
                continue;
            }
            const BatchGradient gradient{me.touched.data(),
                                         me.touched.size(),
                                         me.gradient.data(),
                                         me.rows_with.data(),
                                         true,
                                         me.gradient.back(),
                                         count};
            apply(gradient, step_size(read_version, epoch_eta, staleness), static_cast<double>(steps_before_ + read_version + 1));
            clear(me);
            version_.fetch_add(1, std::memory_order_acq_rel);
            me.count_staleness(staleness);
            me.loss_sum += batch_loss;
            me.rows += count;
            // the calling thread takes the averaging snapshots, counting all threads' rows
            if (average_.on() && omp_get_thread_num() == 0) maybe_snapshot(count * team_size);
            return;
        }
    }

    // A batch's summed gradient: `values` and `rows_with` hold each listed
    // feature's, indexed by the feature when `dense`, by its position in the
    // list otherwise.
    struct BatchGradient {
        const std::int64_t* features;
        std::size_t n;
        const double* values;
        const double* rows_with;
        bool dense;
        double intercept_sum;
        double rows;
    };

    // Adds a batch's step to the shared weights, through the update rule.
    void apply(const BatchGradient& batch, double eta, double step_count) {
        const double inverse_rows = 1.0 / batch.rows;
        const PenaltyStrength step_strength = problem_.strength.times(eta);
        const OptimizerStep step = optimizer_.at(eta, step_count);
        // (u: the L1 penalty owed, see runtime/cumulative_l1.hpp; workers add to it concurrently)
        const double u = !l1_.on() ? 0.0 : simulated_ ? (l1_.advance(eta), l1_.total()) : l1_.advance_shared(eta);
        for (std::size_t k = 0; k < batch.n; ++k) {
            const std::int64_t j = batch.features[k];
            const std::size_t at = batch.dense ? static_cast<std::size_t>(j) : k;
            const double gradient = batch.values[at] * inverse_rows;
            const double penalty_weight = scales_[static_cast<std::size_t>(j)] * batch.rows_with[at] * inverse_rows;
            double& w = weights_[static_cast<std::size_t>(j)];
            if (l1_.on() && simulated_) {  // (one thread: no other writer)
                w = l1_.step_at(u, j, w, -eta * gradient, step_strength.l2, penalty_weight);
            } else if (l1_.on()) {
                l1_.step_shared(u, j, w, -eta * gradient, step_strength.l2, penalty_weight);
            } else if (problem_.config.step.optimizer == Optimizer::sgd) {
                // (no update of another worker is lost: compare-and-swap)
                AtomicWrites::modify(w, [&](double current) {
                    return sgd_coordinate(current, -eta * gradient, step_strength.l2, penalty_weight);
                });
            } else {
                // (the optimizer's state changes once, outside the compare-and-swap loop)
                atomic_add(
                    w, optimizer_.change(
                           j, regularized_gradient(RacyWrites::read(w), gradient, problem_.strength, penalty_weight),
                           step));
            }
        }
        if (!problem_.config.objective.fit_intercept) return;
        const double intercept_gradient = batch.intercept_sum * inverse_rows * problem_.config.objective.intercept_decay;
        atomic_add(weights_.back(), problem_.config.step.optimizer == Optimizer::sgd
                                        ? -eta * intercept_gradient
                                        : optimizer_.change(problem_.n_features, intercept_gradient, step));
    }

    void enqueue(Worker& me, double count, std::int64_t read_version) {
        // (entries recycled: the queue allocates until it holds
        // max_staleness of them, or the run's batches, whichever is fewer)
        if (me.spare.empty()) me.spare.emplace_back();
        PendingGradient entry = std::move(me.spare.back());
        me.spare.pop_back();
        entry.features.assign(me.touched.begin(), me.touched.end());
        entry.values.clear();
        entry.rows_with.clear();
        for (const std::int64_t j : me.touched) {
            entry.values.push_back(me.gradient[static_cast<std::size_t>(j)]);
            entry.rows_with.push_back(me.rows_with[static_cast<std::size_t>(j)]);
        }
        entry.intercept = me.gradient.back();
        entry.rows = count;
        entry.version = read_version;
        clear(me);
        me.queue.push_back(std::move(entry));
        if (static_cast<std::int64_t>(me.queue.size()) > problem_.config.solver.max_staleness) apply_oldest(me);
    }

    void apply_oldest(Worker& me) {
        PendingGradient entry = std::move(me.queue.front());
        me.queue.pop_front();
        const std::int64_t version = version_.load(std::memory_order_relaxed);
        const std::int64_t staleness = version - entry.version;
        const BatchGradient gradient{entry.features.data(),
                                     entry.features.size(),
                                     entry.values.data(),
                                     entry.rows_with.data(),
                                     false,
                                     entry.intercept,
                                     entry.rows};
        apply(gradient, step_size(entry.version, epoch_eta_, staleness), static_cast<double>(steps_before_ + entry.version + 1));
        version_.store(version + 1, std::memory_order_relaxed);
        me.count_staleness(std::min<std::int64_t>(staleness, problem_.config.solver.max_staleness));
        if (average_.on()) maybe_snapshot(entry.rows);
        me.spare.push_back(std::move(entry));
    }

    // Averaged SGD by snapshots of the shared weights (see iterate_average.hpp),
    // on a clock estimated from the updates applied so far.
    void maybe_snapshot(double rows) {
        rows_since_snapshot_ += rows;
        if (rows_since_snapshot_ < static_cast<double>(average_.snapshot_every())) return;
        rows_since_snapshot_ = 0.0;
        const double applied_rows =
            static_cast<double>(version_.load(std::memory_order_relaxed)) * static_cast<double>(batch_);
        average_.snapshot(average_.clock_at(problem_.config.step.t_start + applied_rows - 1.0),
                          [&](std::size_t s) { return RacyWrites::read(weights_[s]); });
    }

    const SolverProblem<View> problem_;
    const std::int64_t batch_;
    const bool simulated_;

    std::vector<double> weights_;  // shared: n_features weights, then the intercept
    std::vector<float> scales_;
    std::vector<Worker> workers_;
    std::atomic<std::int64_t> version_{0};
    std::int64_t steps_before_ = 0;
    double epoch_eta_ = 0.0;                                   // (read by the simulated queue, one thread)
    CoordinateOptimizer<RacySharedOptimizerState> optimizer_;  // state only when not plain sgd
    IterateAverage average_;
    double rows_since_snapshot_ = 0.0;
    double published_t_end_ = 1.0;
    CumulativeL1 l1_{problem_.config, problem_.strength, problem_.n_features, true, !simulated_};
};

template <class View>
std::unique_ptr<TrainingSession> make_async_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                    const ModelState& model) {
    return make_solver_session<View, AsyncSolver<View>>(X, targets, config, model);
}

}  // namespace hogwild

HOGWILD_INSTANTIATE_SOLVER(make_async_session)
