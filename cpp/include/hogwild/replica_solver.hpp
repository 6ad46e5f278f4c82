// Solvers in which every thread trains a private replica of the whole model
// and the replicas meet at synchronization points, every `sync_every` rows
// of each thread:
//  * local SGD (model averaging): the replicas are replaced by their mean;
//  * EASGD (elastic averaging SGD, Zhang, Choromanska & LeCun 2015,
//    synchronous variant): each replica moves a fraction `elasticity` of
//    its distance towards a center variable and the center moves by the
//    same elastic forces towards the replicas; the model is the center.
// Threads never write shared weights between synchronizations, so there is
// no contention and, for a given thread count and seed, the result is
// deterministic (each coordinate is combined by one thread, in replica
// order).
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <vector>

#include "hogwild/epoch_end.hpp"
#include "hogwild/penalty.hpp"
#include "hogwild/row_order.hpp"
#include "hogwild/row_step.hpp"
#include "hogwild/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "hogwild/stopping_rule.hpp"
#include "hogwild/topology.hpp"

namespace hogwild {

// The model averaging of local SGD: every replica becomes the mean.
struct ModelAveraging {
    double elasticity = 0.0;  // unused
    // Combines coordinate j of all replicas; returns the model's value.
    double combine(std::vector<std::vector<double>>& replicas, std::vector<double>& /*center*/,
                   std::size_t j) const {
        double sum = 0.0;
        for (const auto& replica : replicas) sum += replica[j];
        const double mean = sum / static_cast<double>(replicas.size());
        for (auto& replica : replicas) replica[j] = mean;
        return mean;
    }
    static constexpr bool has_center = false;
};

// EASGD's elastic forces (equations 5-6 of the paper, with moving rate
// alpha = elasticity): x_i -= alpha (x_i - c); c += alpha sum_i (x_i - c).
struct ElasticAveraging {
    double elasticity = 0.1;
    double combine(std::vector<std::vector<double>>& replicas, std::vector<double>& center, std::size_t j) const {
        const double c = center[j];
        double pull = 0.0;
        for (auto& replica : replicas) {
            const double force = elasticity * (replica[j] - c);
            replica[j] -= force;
            pull += force;
        }
        center[j] = c + pull;
        return center[j];
    }
    static constexpr bool has_center = true;
};

// Synchronizing all coordinates costs O(n_features) per thread; by default
// threads synchronize every max(256, 16 x n_features / nonzeros-per-row)
// rows, so that it stays about a sixteenth of the rows' own work.
inline constexpr std::int64_t kMinReplicaSyncRows = 256;
inline constexpr double kReplicaSyncWorkRatio = 16.0;

template <class View, class Combine>
class ReplicaTrainer {
  public:
    ReplicaTrainer(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                   const TrainHooks& hooks, Combine combine)
        : X_(X), targets_(targets), config_(config), model_(model), hooks_(hooks), combine_(combine),
          n_threads_(std::max(1, config.n_threads)), n_features_(model.n_features),
          l1_ratio_(effective_l1_ratio(config)), schedule_(StepSchedule::from(config)),
          averaging_(config.average > 0) {}

    TrainResult run() {
        using Clock = std::chrono::steady_clock;
        TrainResult result;
        result.threads_used = n_threads_;
        const std::int64_t n_train = count_training_rows();
        const std::vector<float> scales = regularization_scales(X_, targets_, n_train);

        // everything is allocated before the parallel region, where an exception would terminate
        std::vector<double> start(model_.weights, model_.weights + n_features_);
        start.push_back(*model_.intercept);
        replicas_.assign(static_cast<std::size_t>(n_threads_), start);
        // each replica has its own optimizer state (none for plain sgd)
        const std::int64_t optimizer_slots = config_.optimizer == Optimizer::sgd ? 0 : n_features_ + 1;
        std::vector<CoordinateOptimizer<PrivateOptimizerState>> optimizers(
            static_cast<std::size_t>(n_threads_), CoordinateOptimizer<PrivateOptimizerState>(config_, optimizer_slots));
        center_ = Combine::has_center ? start : std::vector<double>();
        published_ = start;
        if (averaging_) start_averages();
        const std::int64_t sync_rows = sync_every(n_train);
        const std::vector<int> cpus = allowed_cpus();
        RowOrder order(X_.n_rows, config_.shuffle_block_size, config_.seed);
        StoppingRule stopping(config_);
        std::vector<double> thread_loss(static_cast<std::size_t>(n_threads_) * kPadding, 0.0);
        std::vector<double> thread_updates(static_cast<std::size_t>(n_threads_) * kPadding, 0.0);
        double t_epoch = config_.t_start;
        bool stop = false;
        std::atomic<bool> interrupted{false};
        Clock::time_point epoch_start;

#pragma omp parallel num_threads(n_threads_)
        {
            const int tid = omp_get_thread_num();
            const int team = omp_get_num_threads();
            ScopedThreadPin pin(config_.pin_threads && team > 1 ? cpus[static_cast<std::size_t>(tid) % cpus.size()]
                                                                : -1);
            double* replica = replicas_[static_cast<std::size_t>(tid)].data();
            auto& optimizer = optimizers[static_cast<std::size_t>(tid)];
            double& loss_sum = thread_loss[static_cast<std::size_t>(tid) * kPadding];
            double& updates = thread_updates[static_cast<std::size_t>(tid) * kPadding];

            for (int epoch = 0; epoch < config_.max_iter && !stop; ++epoch) {
#pragma omp single
                {
                    epoch_start = Clock::now();
                    order.next_epoch(config_.shuffle);
                }
                const double epoch_eta = epoch_rate(config_, epoch, stopping.adaptive_eta());
                const std::int64_t begin = X_.n_rows * tid / team;
                const std::int64_t end = X_.n_rows * (tid + 1) / team;
                const std::int64_t longest_share = (X_.n_rows + team - 1) / team;
                const std::int64_t rounds = std::max<std::int64_t>(1, (longest_share + sync_rows - 1) / sync_rows);
                loss_sum = 0.0;
                updates = 0.0;
                double updates_before_round = 0.0;  // all threads', at the last synchronization
                for (std::int64_t round = 0; round < rounds; ++round) {
                    const std::int64_t from = std::min(end, begin + round * sync_rows);
                    const std::int64_t to = std::min(end, from + sync_rows);
                    double round_updates = 0.0;
                    for (std::int64_t position = from; position < to; ++position) {
                        prefetch_ahead(X_, order.rows(), position, end);
                        const std::int64_t i = order.rows()[position];
                        if (!is_training_row(i)) continue;
                        // the schedule runs on the global update count, as if threads took turns
                        const double t = t_epoch + updates_before_round + round_updates * team + tid;
                        const double eta = config_.learning_rate == LearningRate::constant
                                               ? config_.eta0
                                               : schedule_.at(t, epoch_eta);
                        loss_sum += private_row_step(config_, X_.row(i), targets_.y[i], targets_.sample_weight[i],
                                                     eta, replica, n_features_, scales.data(), l1_ratio_, optimizer,
                                                     t);
                        updates += 1.0;
                        round_updates += 1.0;
                    }
                    if (tid == 0 && hooks_.interrupted && hooks_.interrupted()) interrupted.store(true);
#pragma omp barrier
                    double all_updates = 0.0;  // the same sum, in the same order, on every thread
                    for (int other = 0; other < team; ++other)
                        all_updates += thread_updates[static_cast<std::size_t>(other) * kPadding];
                    updates_before_round = all_updates;
                    synchronize(averaging_clock(t_epoch + all_updates - 1.0));
#pragma omp barrier
                    if (interrupted.load()) break;
                }
                if (tid == 0) {
                    if (interrupted.load()) {
                        result.interrupted = true;
                        stop = true;
                    } else {
                        stop = finish_epoch(result, stopping, thread_loss, thread_updates, t_epoch, epoch,
                                            std::chrono::duration<double>(Clock::now() - epoch_start).count());
                    }
                }
#pragma omp barrier
            }
        }
        result.t = t_epoch;
        return result;
    }

  private:
    static constexpr std::size_t kPadding = 8;  // doubles per thread counter: one cache line each

    std::int64_t count_training_rows() const {
        if (targets_.validation_mask == nullptr) return X_.n_rows;
        std::int64_t n = 0;
        for (std::int64_t i = 0; i < X_.n_rows; ++i) n += targets_.validation_mask[i] ? 0 : 1;
        return n;
    }

    bool is_training_row(std::int64_t i) const {
        return targets_.validation_mask == nullptr || !targets_.validation_mask[i];
    }

    std::int64_t sync_every(std::int64_t n_train) const {
        if (config_.sync_every > 0) return std::max<std::int64_t>(1, config_.sync_every);
        const double nnz_per_row = X_.n_rows > 0 ? static_cast<double>(X_.nnz()) / X_.n_rows : 1.0;
        const auto rows = static_cast<std::int64_t>(kReplicaSyncWorkRatio * static_cast<double>(n_features_) /
                                                    std::max(1.0, nnz_per_row));
        return std::clamp<std::int64_t>(rows, kMinReplicaSyncRows, std::max<std::int64_t>(kMinReplicaSyncRows, n_train));
    }

    double averaging_clock(double t) const { return std::max(0.0, t - static_cast<double>(config_.average) + 1.0); }

    void start_averages() {
        average_clock_ = averaging_clock(config_.t_start - 1.0);
        average_sum_.resize(static_cast<std::size_t>(n_features_) + 1);
        for (std::int64_t j = 0; j < n_features_; ++j)
            average_sum_[static_cast<std::size_t>(j)] = model_.average_weights[j] * average_clock_;
        average_sum_.back() = *model_.average_intercept * average_clock_;
    }

    // Called by every thread between barriers: each combines its share of
    // the coordinates and, when averaging, adds the combined model, weighted
    // by the updates since the last synchronization, to the running sum.
    void synchronize(double clock) {
        const std::int64_t size = n_features_ + 1;
        const double weight = averaging_ ? std::max(0.0, clock - average_clock_) : 0.0;
#pragma omp for schedule(static)
        for (std::int64_t j = 0; j < size; ++j) {
            const double value = combine_.combine(replicas_, center_, static_cast<std::size_t>(j));
            published_[static_cast<std::size_t>(j)] = value;
            if (weight > 0.0) average_sum_[static_cast<std::size_t>(j)] += weight * value;
        }
        // (the implicit barrier of `omp for` orders this after every thread read average_clock_)
#pragma omp single
        if (averaging_) average_clock_ = std::max(average_clock_, clock);
    }

    bool finish_epoch(TrainResult& result, StoppingRule& stopping, const std::vector<double>& thread_loss,
                      const std::vector<double>& thread_updates, double& t_epoch, int epoch, double seconds) {
        double summed_loss = 0.0, updates = 0.0;
        for (int tid = 0; tid < n_threads_; ++tid) {
            summed_loss += thread_loss[static_cast<std::size_t>(tid) * kPadding];
            updates += thread_updates[static_cast<std::size_t>(tid) * kPadding];
        }
        t_epoch += updates;
        std::copy(published_.begin(), published_.end() - 1, model_.weights);
        *model_.intercept = published_.back();
        if (averaging_) {
            for (std::int64_t j = 0; j < n_features_; ++j)
                model_.average_weights[j] = average_clock_ > 0.0 ? average_sum_[static_cast<std::size_t>(j)] / average_clock_
                                                                 : model_.weights[j];
            *model_.average_intercept = average_clock_ > 0.0 ? average_sum_.back() / average_clock_ : *model_.intercept;
        }
        return finish_published_epoch(result, stopping, hooks_, X_, targets_, config_, model_, summed_loss, updates,
                                      t_epoch, epoch, seconds);
    }

    const View& X_;
    const Targets& targets_;
    const TrainConfig& config_;
    ModelState& model_;
    const TrainHooks& hooks_;
    const Combine combine_;
    const int n_threads_;
    const std::int64_t n_features_;
    const double l1_ratio_;
    const StepSchedule schedule_;
    const bool averaging_;

    std::vector<std::vector<double>> replicas_;
    std::vector<double> center_;     // EASGD only
    std::vector<double> published_;  // the model after the last synchronization
    std::vector<double> average_sum_;
    double average_clock_ = 0.0;
};

template <class View>
TrainResult train_local(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                        const TrainHooks& hooks) {
    return ReplicaTrainer<View, ModelAveraging>(X, targets, config, model, hooks, ModelAveraging{}).run();
}

template <class View>
TrainResult train_easgd(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                        const TrainHooks& hooks) {
    return ReplicaTrainer<View, ElasticAveraging>(X, targets, config, model, hooks,
                                                  ElasticAveraging{config.elasticity})
        .run();
}

}  // namespace hogwild
