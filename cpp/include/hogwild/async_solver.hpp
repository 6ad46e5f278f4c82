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
// Learning-rate schedules count optimizer steps (batches). Regularization is
// the per-feature gradient of the penalty on the features a batch touches,
// scaled by n_train / (rows containing the feature) as in the other
// parallel solvers.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <vector>

#include "hogwild/epoch_end.hpp"
#include "hogwild/optimizer.hpp"
#include "hogwild/penalty.hpp"
#include "hogwild/row_order.hpp"
#include "hogwild/row_step.hpp"
#include "hogwild/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "hogwild/stopping_rule.hpp"
#include "hogwild/topology.hpp"
#include "hogwild/write_policy.hpp"

namespace hogwild {

// A batch gradient waiting to be applied: the sparse sum over its rows.
struct PendingGradient {
    std::vector<std::int64_t> features;
    std::vector<double> values;
    double intercept = 0.0;
    double rows = 0.0;             // rows it averages over
    std::int64_t version = 0;      // shared version its weights were read at
};

template <class View>
class AsyncTrainer {
  public:
    AsyncTrainer(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                 const TrainHooks& hooks)
        : X_(X), targets_(targets), config_(config), model_(model), hooks_(hooks),
          n_threads_(std::max(1, config.n_threads)), n_features_(model.n_features),
          batch_(std::max<std::int64_t>(1, config.batch_size)), l1_ratio_(effective_l1_ratio(config)),
          schedule_(StepSchedule::from(config)), averaging_(config.average > 0),
          simulated_(n_threads_ == 1 && config.max_staleness > 0),
          optimizer_(config, config.optimizer == Optimizer::sgd ? 0 : model.n_features + 1) {}

    TrainResult run() {
        using Clock = std::chrono::steady_clock;
        TrainResult result;
        result.threads_used = n_threads_;
        const std::int64_t n_train = count_training_rows();
        scales_ = regularization_scales(X_, targets_, n_train);
        weights_.assign(model_.weights, model_.weights + n_features_);
        weights_.push_back(*model_.intercept);
        steps_before_ = static_cast<std::int64_t>((config_.t_start - 1.0) / static_cast<double>(batch_));
        if (averaging_) start_averages();

        // per-thread buffers, allocated before the parallel region (an exception there terminates)
        const std::size_t histogram = static_cast<std::size_t>(config_.max_staleness) + 1;
        std::vector<Worker> workers(static_cast<std::size_t>(n_threads_), Worker(n_features_ + 1, histogram));
        if (simulated_) queue_capacity_reserve(workers[0]);
        const std::vector<int> cpus = allowed_cpus();
        RowOrder order(X_.n_rows, config_.shuffle_block_size, config_.seed);
        StoppingRule stopping(config_);
        double t_epoch = config_.t_start;
        bool stop = false;
        std::atomic<bool> stop_requested{false};
        Clock::time_point epoch_start;

#pragma omp parallel num_threads(n_threads_)
        {
            const int tid = omp_get_thread_num();
            const int team = omp_get_num_threads();
            ScopedThreadPin pin(config_.pin_threads && team > 1 ? cpus[static_cast<std::size_t>(tid) % cpus.size()]
                                                                : -1);
            Worker& me = workers[static_cast<std::size_t>(tid)];
            for (int epoch = 0; epoch < config_.max_iter && !stop; ++epoch) {
#pragma omp single
                {
                    epoch_start = Clock::now();
                    order.next_epoch(config_.shuffle);
                }
                me.start_epoch();
                const double epoch_eta = epoch_rate(config_, epoch, stopping.adaptive_eta());
                const std::int64_t begin = X_.n_rows * tid / team;
                const std::int64_t end = X_.n_rows * (tid + 1) / team;
                std::int64_t batches = 0;
                for (std::int64_t from = begin; from < end && !stop_requested.load(std::memory_order_relaxed);
                     from += batch_) {
                    const std::int64_t to = std::min(end, from + batch_);
                    process_batch(me, order.rows(), from, to, epoch_eta);
                    if (tid == 0 && ++batches % kBatchesBetweenChecks == 0 && hooks_.interrupted &&
                        hooks_.interrupted())
                        stop_requested.store(true, std::memory_order_relaxed);
                }
                if (tid == 0 && hooks_.interrupted && hooks_.interrupted()) stop_requested.store(true);
#pragma omp barrier
                if (tid == 0) {
                    if (stop_requested.load()) {
                        result.interrupted = true;
                        stop = true;
                    } else {
                        stop = finish_epoch(result, stopping, workers, t_epoch, epoch,
                                            std::chrono::duration<double>(Clock::now() - epoch_start).count());
                    }
                }
#pragma omp barrier
            }
        }
        // (gradients still queued by simulated asynchrony are dropped: the
        // model stays the last epoch's, which the history and callbacks saw)
        result.t = t_epoch;
        return result;
    }

  private:
    static constexpr std::int64_t kBatchesBetweenChecks = 16;

    struct Worker {
        std::vector<double> gradient;             // dense accumulator, zero between batches
        std::vector<std::int64_t> touched;        // its nonzero coordinates
        std::vector<std::int64_t> staleness;      // this epoch's histogram
        std::int64_t dropped = 0;
        double loss_sum = 0.0;
        double rows = 0.0;
        std::deque<PendingGradient> queue;        // simulated asynchrony (one thread)
        std::vector<PendingGradient> spare;       // recycled queue entries

        Worker(std::int64_t size, std::size_t histogram)
            : gradient(static_cast<std::size_t>(size), 0.0), staleness(histogram, 0) {
            touched.reserve(static_cast<std::size_t>(size));
        }
        void start_epoch() {
            std::fill(staleness.begin(), staleness.end(), 0);
            dropped = 0;
            loss_sum = 0.0;
            rows = 0.0;
        }
    };

    void queue_capacity_reserve(Worker& worker) {
        worker.spare.resize(static_cast<std::size_t>(config_.max_staleness) + 1);
        for (auto& entry : worker.spare) {
            entry.features.reserve(static_cast<std::size_t>(n_features_) + 1);
            entry.values.reserve(static_cast<std::size_t>(n_features_) + 1);
        }
    }

    std::int64_t count_training_rows() const {
        if (targets_.validation_mask == nullptr) return X_.n_rows;
        std::int64_t n = 0;
        for (std::int64_t i = 0; i < X_.n_rows; ++i) n += targets_.validation_mask[i] ? 0 : 1;
        return n;
    }

    bool is_training_row(std::int64_t i) const {
        return targets_.validation_mask == nullptr || !targets_.validation_mask[i];
    }

    double read(std::int64_t j) { return RacyWrites::read(weights_[static_cast<std::size_t>(j)]); }

    // The summed gradient of rows [from, to) on the weights as read now.
    // Returns the number of training rows and adds their losses.
    double accumulate(Worker& me, const std::int64_t* rows, std::int64_t from, std::int64_t to, double& loss_sum) {
        const bool regularizes = config_.penalty != Penalty::none && config_.alpha > 0.0;
        double count = 0.0, intercept_gradient = 0.0;
        for (std::int64_t position = from; position < to; ++position) {
            prefetch_ahead(X_, rows, position, to);
            const std::int64_t i = rows[position];
            if (!is_training_row(i)) continue;
            const auto row = X_.row(i);
            double p = read(n_features_);
            for (std::int64_t k = 0; k < row.size(); ++k) p += read(row.index(k)) * row.value(k);
            const double y = targets_.y[i];
            loss_sum += config_.loss.value(p, y);
            const double class_weight = y > 0.0 ? config_.weight_pos : config_.weight_neg;
            // update_step with a unit rate is -dloss/dp (clipped as scikit-learn clips it)
            const double derivative =
                -update_step(config_, 1.0, p, y, 0.0) * (class_weight * targets_.sample_weight[i]);
            for (std::int64_t k = 0; k < row.size(); ++k) {
                const std::int64_t j = row.index(k);
                double g = derivative * row.value(k);
                if (regularizes) {
                    const double w = read(j);
                    const double sign = w > 0.0 ? 1.0 : (w < 0.0 ? -1.0 : 0.0);
                    g += config_.alpha * scales_[static_cast<std::size_t>(j)] * ((1.0 - l1_ratio_) * w + l1_ratio_ * sign);
                }
                double& slot = me.gradient[static_cast<std::size_t>(j)];
                if (slot == 0.0 && g != 0.0) me.touched.push_back(j);
                slot += g;
            }
            intercept_gradient += derivative;
            count += 1.0;
        }
        me.gradient[static_cast<std::size_t>(n_features_)] = intercept_gradient;
        return count;
    }

    void clear(Worker& me) {
        for (const std::int64_t j : me.touched) me.gradient[static_cast<std::size_t>(j)] = 0.0;
        me.touched.clear();
        me.gradient[static_cast<std::size_t>(n_features_)] = 0.0;
    }

    double step_size(std::int64_t version, double epoch_eta, std::int64_t staleness) const {
        const double t = static_cast<double>(steps_before_ + version + 1);
        const double eta = config_.learning_rate == LearningRate::constant ? config_.eta0 : schedule_.at(t, epoch_eta);
        return config_.staleness_aware && staleness > 1 ? eta / static_cast<double>(staleness) : eta;
    }

    void process_batch(Worker& me, const std::int64_t* rows, std::int64_t from, std::int64_t to, double epoch_eta) {
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
            if (staleness > config_.max_staleness) {  // too stale: recompute on fresh weights
                ++me.dropped;
                clear(me);
                continue;
            }
            apply(me.touched.data(), me.touched.size(), me.gradient.data(), true, me.gradient.back(), count,
                  step_size(read_version, epoch_eta, staleness), static_cast<double>(read_version + 1));
            clear(me);
            version_.fetch_add(1, std::memory_order_acq_rel);
            ++me.staleness[static_cast<std::size_t>(staleness)];
            me.loss_sum += batch_loss;
            me.rows += count;
            // the calling thread takes the averaging snapshots, counting all threads' rows
            if (averaging_ && omp_get_thread_num() == 0) maybe_snapshot(count * n_threads_);
            return;
        }
    }

    // Adds a batch's step to the shared weights. `values` holds the summed
    // gradient of each listed feature, indexed by the feature when `dense`,
    // by its position in the list otherwise.
    void apply(const std::int64_t* features, std::size_t n, const double* values, bool dense, double intercept_sum,
               double rows, double eta, double step_count) {
        const double inverse_rows = 1.0 / rows;
        if (config_.optimizer == Optimizer::sgd) {
            const double scale = -eta * inverse_rows;
            for (std::size_t k = 0; k < n; ++k)
                atomic_add(weights_[static_cast<std::size_t>(features[k])],
                           scale * values[dense ? static_cast<std::size_t>(features[k]) : k]);
            if (config_.fit_intercept) atomic_add(weights_.back(), scale * config_.intercept_decay * intercept_sum);
            return;
        }
        const OptimizerStep step = optimizer_.at(eta, step_count);
        for (std::size_t k = 0; k < n; ++k) {
            const std::int64_t j = features[k];
            const double gradient = values[dense ? static_cast<std::size_t>(j) : k] * inverse_rows;
            atomic_add(weights_[static_cast<std::size_t>(j)], optimizer_.change(j, gradient, step));
        }
        if (config_.fit_intercept)
            atomic_add(weights_.back(),
                       optimizer_.change(n_features_, intercept_sum * inverse_rows * config_.intercept_decay, step));
    }

    void enqueue(Worker& me, double count, std::int64_t read_version) {
        PendingGradient entry = std::move(me.spare.back());
        me.spare.pop_back();
        entry.features.assign(me.touched.begin(), me.touched.end());
        entry.values.clear();
        for (const std::int64_t j : me.touched) entry.values.push_back(me.gradient[static_cast<std::size_t>(j)]);
        entry.intercept = me.gradient.back();
        entry.rows = count;
        entry.version = read_version;
        clear(me);
        me.queue.push_back(std::move(entry));
        if (static_cast<std::int64_t>(me.queue.size()) > config_.max_staleness) apply_oldest(me);
    }

    void apply_oldest(Worker& me) {
        PendingGradient entry = std::move(me.queue.front());
        me.queue.pop_front();
        const std::int64_t version = version_.load(std::memory_order_relaxed);
        const std::int64_t staleness = version - entry.version;
        apply(entry.features.data(), entry.features.size(), entry.values.data(), false, entry.intercept, entry.rows,
              step_size(entry.version, epoch_eta_, staleness), static_cast<double>(entry.version + 1));
        version_.store(version + 1, std::memory_order_relaxed);
        ++me.staleness[static_cast<std::size_t>(std::min<std::int64_t>(staleness, config_.max_staleness))];
        if (averaging_) maybe_snapshot(entry.rows);
        me.spare.push_back(std::move(entry));
    }

    // Averaged SGD by snapshots of the shared weights, weighted by the rows
    // applied since the previous one (every ~4 x n_features / nnz-per-row
    // rows, so that it costs O(nnz); see hogwild_solver.hpp).
    double averaging_clock(double t) const { return std::max(0.0, t - static_cast<double>(config_.average) + 1.0); }

    void start_averages() {
        average_clock_ = averaging_clock(config_.t_start - 1.0);
        average_sum_.resize(static_cast<std::size_t>(n_features_) + 1);
        for (std::int64_t j = 0; j < n_features_; ++j)
            average_sum_[static_cast<std::size_t>(j)] = model_.average_weights[j] * average_clock_;
        average_sum_.back() = *model_.average_intercept * average_clock_;
        const double nnz_per_row = X_.n_rows > 0 ? static_cast<double>(X_.nnz()) / X_.n_rows : 1.0;
        snapshot_every_rows_ = std::max(16.0, 4.0 * static_cast<double>(n_features_) / std::max(1.0, nnz_per_row));
    }

    void maybe_snapshot(double rows) {
        rows_since_snapshot_ += rows;
        if (rows_since_snapshot_ < snapshot_every_rows_) return;
        rows_since_snapshot_ = 0.0;
        snapshot(averaging_clock(config_.t_start + applied_rows_estimate() - 1.0));
    }

    double applied_rows_estimate() const {
        return static_cast<double>(version_.load(std::memory_order_relaxed)) * static_cast<double>(batch_);
    }

    void snapshot(double clock) {
        const double weight = clock - average_clock_;
        if (weight <= 0.0) return;
        for (std::size_t j = 0; j < average_sum_.size(); ++j) average_sum_[j] += weight * RacyWrites::read(weights_[j]);
        average_clock_ = clock;
    }

    void publish() {
        for (std::int64_t j = 0; j < n_features_; ++j) model_.weights[j] = weights_[static_cast<std::size_t>(j)];
        *model_.intercept = weights_.back();
    }

    bool finish_epoch(TrainResult& result, StoppingRule& stopping, std::vector<Worker>& workers, double& t_epoch,
                      int epoch, double seconds) {
        double loss_sum = 0.0, rows = 0.0;
        EpochRecord record;
        record.staleness_counts.assign(static_cast<std::size_t>(config_.max_staleness) + 1, 0);
        for (const Worker& worker : workers) {
            loss_sum += worker.loss_sum;
            rows += worker.rows;
            record.stale_dropped += worker.dropped;
            for (std::size_t s = 0; s < worker.staleness.size(); ++s) record.staleness_counts[s] += worker.staleness[s];
        }
        t_epoch += rows;
        publish();
        if (averaging_) {
            snapshot(averaging_clock(t_epoch - 1.0));
            for (std::int64_t j = 0; j < n_features_; ++j)
                model_.average_weights[j] =
                    average_clock_ > 0.0 ? average_sum_[static_cast<std::size_t>(j)] / average_clock_ : model_.weights[j];
            *model_.average_intercept = average_clock_ > 0.0 ? average_sum_.back() / average_clock_ : *model_.intercept;
        }
        return finish_published_epoch(result, stopping, hooks_, X_, targets_, config_, model_, loss_sum, rows, t_epoch,
                                      epoch, seconds, record);
    }

    const View& X_;
    const Targets& targets_;
    const TrainConfig& config_;
    ModelState& model_;
    const TrainHooks& hooks_;
    const int n_threads_;
    const std::int64_t n_features_;
    const std::int64_t batch_;
    const double l1_ratio_;
    const StepSchedule schedule_;
    const bool averaging_;
    const bool simulated_;

    std::vector<double> weights_;  // shared: n_features weights, then the intercept
    std::vector<float> scales_;
    std::atomic<std::int64_t> version_{0};
    std::int64_t steps_before_ = 0;
    double epoch_eta_ = 0.0;  // (read by the simulated queue, one thread)
    CoordinateOptimizer<RacySharedOptimizerState> optimizer_;  // state only when not plain sgd
    std::vector<double> average_sum_;
    double average_clock_ = 0.0;
    double snapshot_every_rows_ = 16.0;
    double rows_since_snapshot_ = 0.0;
};

template <class View>
TrainResult train_async(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                        const TrainHooks& hooks) {
    return AsyncTrainer<View>(X, targets, config, model, hooks).run();
}

}  // namespace hogwild
