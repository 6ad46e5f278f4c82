// Buckwild!: Hogwild! on low-precision shared weights (De Sa, Zhang,
// Olukotun & Re 2015). Threads read and write one vector of int8 / int16
// fixed-point or bfloat16 weights without locks; every write rounds
// stochastically (see low_precision.hpp), so updates are unbiased however
// small. Smaller weights mean fewer bytes per row from memory and more of
// the model in cache. The intercept stays a double.
//
// Fixed point needs a range: it starts at max(1, 2 x the largest initial
// weight) and doubles at the end of any epoch in which a write saturated.
// Regularization is per touched feature, proximal, as in the hogwild solver.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <vector>

#include "hogwild/epoch_end.hpp"
#include "hogwild/low_precision.hpp"
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

template <class View, class Format>
class BuckwildTrainer {
  public:
    using Stored = typename Format::Stored;

    BuckwildTrainer(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                    const TrainHooks& hooks)
        : X_(X), targets_(targets), config_(config), model_(model), hooks_(hooks),
          n_threads_(std::max(1, config.n_threads)), n_features_(model.n_features),
          l1_ratio_(effective_l1_ratio(config)), schedule_(StepSchedule::from(config)),
          averaging_(config.average > 0),
          optimizer_(config, config.optimizer == Optimizer::sgd ? 0 : model.n_features + 1) {}

    TrainResult run() {
        using Clock = std::chrono::steady_clock;
        TrainResult result;
        result.threads_used = n_threads_;
        const std::int64_t n_train = count_training_rows();
        scales_ = regularization_scales(X_, targets_, n_train);
        double largest = 0.0;
        for (std::int64_t j = 0; j < n_features_; ++j) largest = std::max(largest, std::fabs(model_.weights[j]));
        format_.set_range(std::max(1.0, 2.0 * largest));
        stored_.resize(static_cast<std::size_t>(n_features_));
        FastRandom start_random(config_.seed);
        bool saturated = false;
        for (std::int64_t j = 0; j < n_features_; ++j)
            stored_[static_cast<std::size_t>(j)] = format_.encode(model_.weights[j], start_random, saturated);
        intercept_ = *model_.intercept;
        if (averaging_) start_averages();

        std::vector<FastRandom> randoms;
        for (int tid = 0; tid < n_threads_; ++tid) randoms.emplace_back(config_.seed + 7919ull * (tid + 1));
        std::vector<double> thread_loss(static_cast<std::size_t>(n_threads_) * kPadding, 0.0);
        std::vector<double> thread_updates(static_cast<std::size_t>(n_threads_) * kPadding, 0.0);
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
            FastRandom& random = randoms[static_cast<std::size_t>(tid)];
            double& loss_sum = thread_loss[static_cast<std::size_t>(tid) * kPadding];
            double& updates = thread_updates[static_cast<std::size_t>(tid) * kPadding];
            for (int epoch = 0; epoch < config_.max_iter && !stop; ++epoch) {
#pragma omp single
                {
                    epoch_start = Clock::now();
                    order.next_epoch(config_.shuffle);
                    saturated_.store(false);
                }
                const double epoch_eta = epoch_rate(config_, epoch, stopping.adaptive_eta());
                const std::int64_t begin = X_.n_rows * tid / team;
                const std::int64_t end = X_.n_rows * (tid + 1) / team;
                loss_sum = 0.0;
                updates = 0.0;
                bool saturated_here = false;
                std::int64_t since_snapshot = 0;
                for (std::int64_t position = begin; position < end; ++position) {
                    const std::int64_t local = position - begin;
                    if (local % kRowsBetweenChecks == 0) {
                        if (tid == 0 && local > 0 && hooks_.interrupted && hooks_.interrupted())
                            stop_requested.store(true, std::memory_order_relaxed);
                        if (stop_requested.load(std::memory_order_relaxed)) break;
                    }
                    prefetch_ahead(X_, order.rows(), position, end);
                    const std::int64_t i = order.rows()[position];
                    if (!is_training_row(i)) continue;
                    const double t = t_epoch + updates * team + tid;
                    const double eta =
                        config_.learning_rate == LearningRate::constant ? config_.eta0 : schedule_.at(t, epoch_eta);
                    loss_sum += step(X_.row(i), targets_.y[i], targets_.sample_weight[i], eta, t, random,
                                     saturated_here);
                    updates += 1.0;
                    if (averaging_ && tid == 0 && ++since_snapshot == snapshot_every_) {
                        snapshot(averaging_clock(t));
                        since_snapshot = 0;
                    }
                }
                if (saturated_here) saturated_.store(true);
                if (tid == 0 && hooks_.interrupted && hooks_.interrupted()) stop_requested.store(true);
#pragma omp barrier
                if (tid == 0) {
                    if (stop_requested.load()) {
                        result.interrupted = true;
                        stop = true;
                    } else {
                        stop = finish_epoch(result, stopping, thread_loss, thread_updates, t_epoch, epoch,
                                            std::chrono::duration<double>(Clock::now() - epoch_start).count(),
                                            random);
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
    static constexpr std::int64_t kRowsBetweenChecks = 4096;

    std::int64_t count_training_rows() const {
        if (targets_.validation_mask == nullptr) return X_.n_rows;
        std::int64_t n = 0;
        for (std::int64_t i = 0; i < X_.n_rows; ++i) n += targets_.validation_mask[i] ? 0 : 1;
        return n;
    }

    bool is_training_row(std::int64_t i) const {
        return targets_.validation_mask == nullptr || !targets_.validation_mask[i];
    }

    double weight(std::int64_t j) {
        return format_.decode(std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)]).load(std::memory_order_relaxed));
    }

    template <class Row>
    double step(const Row& row, double y, double sample_weight, double eta, double t, FastRandom& random,
                bool& saturated) {
        double p = RacyWrites::read(intercept_);
        for (std::int64_t k = 0; k < row.size(); ++k) p += weight(row.index(k)) * row.value(k);
        const double loss = config_.loss.value(p, y);
        const double row_squared_norm = is_passive_aggressive(config_.learning_rate) ? squared_norm(row) : 0.0;
        if (config_.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) return loss;
        const double class_weight = y > 0.0 ? config_.weight_pos : config_.weight_neg;
        if (config_.optimizer != Optimizer::sgd) {
            // a per-coordinate optimizer, its state shared Hogwild!-style in double precision
            const double derivative = -update_step(config_, 1.0, p, y, 0.0) * (class_weight * sample_weight);
            const OptimizerStep step = optimizer_.at(eta, t);
            for (std::int64_t k = 0; k < row.size(); ++k) {
                const std::int64_t j = row.index(k);
                const double w = weight(j);
                const double gradient = derivative * row.value(k) +
                                        penalty_gradient(config_, w, scales_[static_cast<std::size_t>(j)], l1_ratio_);
                std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)])
                    .store(format_.encode(w + optimizer_.change(j, gradient, step), random, saturated),
                           std::memory_order_relaxed);
            }
            if (derivative != 0.0 && config_.fit_intercept) {
                const double change = optimizer_.change(n_features_, derivative * config_.intercept_decay, step);
                RacyWrites::modify(intercept_, [&](double b) { return b + change; });
            }
            return loss;
        }
        const double update = update_step(config_, eta, p, y, row_squared_norm) * (class_weight * sample_weight);
        const bool regularizes = config_.penalty != Penalty::none;
        if (update == 0.0 && !regularizes) return loss;
        const double l2_strength = regularizes ? eta * config_.alpha * (1.0 - l1_ratio_) : 0.0;
        const double l1_strength = regularizes ? eta * config_.alpha * l1_ratio_ : 0.0;
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            const double r = scales_[static_cast<std::size_t>(j)];
            double w = weight(j) + update * row.value(k);
            if (l1_strength > 0.0) {
                const double cut = l1_strength * r;
                w = w > cut ? w - cut : (w < -cut ? w + cut : 0.0);
            }
            if (l2_strength > 0.0) w /= 1.0 + l2_strength * r;
            std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)])
                .store(format_.encode(w, random, saturated), std::memory_order_relaxed);
        }
        if (update != 0.0 && config_.fit_intercept) {
            const double change = update * config_.intercept_decay;
            RacyWrites::modify(intercept_, [&](double b) { return b + change; });
        }
        return loss;
    }

    double averaging_clock(double t) const { return std::max(0.0, t - static_cast<double>(config_.average) + 1.0); }

    void start_averages() {
        average_clock_ = averaging_clock(config_.t_start - 1.0);
        average_sum_.resize(static_cast<std::size_t>(n_features_) + 1);
        for (std::int64_t j = 0; j < n_features_; ++j)
            average_sum_[static_cast<std::size_t>(j)] = model_.average_weights[j] * average_clock_;
        average_sum_.back() = *model_.average_intercept * average_clock_;
        const double nnz_per_row = X_.n_rows > 0 ? static_cast<double>(X_.nnz()) / X_.n_rows : 1.0;
        snapshot_every_ = std::max<std::int64_t>(
            16, static_cast<std::int64_t>(4.0 * static_cast<double>(n_features_) / std::max(1.0, nnz_per_row)));
    }

    // (by the calling thread, from racy reads, as in the hogwild solver)
    void snapshot(double clock) {
        const double weight_of_snapshot = clock - average_clock_;
        if (weight_of_snapshot <= 0.0) return;
        for (std::int64_t j = 0; j < n_features_; ++j)
            average_sum_[static_cast<std::size_t>(j)] += weight_of_snapshot * weight(j);
        average_sum_.back() += weight_of_snapshot * RacyWrites::read(intercept_);
        average_clock_ = clock;
    }

    bool finish_epoch(TrainResult& result, StoppingRule& stopping, const std::vector<double>& thread_loss,
                      const std::vector<double>& thread_updates, double& t_epoch, int epoch, double seconds,
                      FastRandom& random) {
        double loss_sum = 0.0, updates = 0.0;
        for (int tid = 0; tid < n_threads_; ++tid) {
            loss_sum += thread_loss[static_cast<std::size_t>(tid) * kPadding];
            updates += thread_updates[static_cast<std::size_t>(tid) * kPadding];
        }
        t_epoch += updates;
        for (std::int64_t j = 0; j < n_features_; ++j) model_.weights[j] = weight(j);
        *model_.intercept = intercept_;
        if (averaging_) {
            snapshot(averaging_clock(t_epoch - 1.0));
            for (std::int64_t j = 0; j < n_features_; ++j)
                model_.average_weights[j] =
                    average_clock_ > 0.0 ? average_sum_[static_cast<std::size_t>(j)] / average_clock_ : model_.weights[j];
            *model_.average_intercept = average_clock_ > 0.0 ? average_sum_.back() / average_clock_ : *model_.intercept;
        }
        if (saturated_.load() && format_.range() < kMaxRange) widen_range(random);
        return finish_published_epoch(result, stopping, hooks_, X_, targets_, config_, model_, loss_sum, updates,
                                      t_epoch, epoch, seconds);
    }

    // Double the fixed-point range (no-op for bfloat16), re-rounding the weights.
    static constexpr double kMaxRange = 1e12;
    void widen_range(FastRandom& random) {
        Format wider = format_;
        wider.set_range(2.0 * format_.range());
        bool saturated = false;
        for (auto& q : stored_) q = wider.encode(format_.decode(q), random, saturated);
        format_ = wider;
    }

    const View& X_;
    const Targets& targets_;
    const TrainConfig& config_;
    ModelState& model_;
    const TrainHooks& hooks_;
    const int n_threads_;
    const std::int64_t n_features_;
    const double l1_ratio_;
    const StepSchedule schedule_;
    const bool averaging_;

    CoordinateOptimizer<RacySharedOptimizerState> optimizer_;  // state only when not plain sgd
    Format format_;
    std::vector<Stored> stored_;  // the shared low-precision weights
    double intercept_ = 0.0;
    std::vector<float> scales_;
    std::atomic<bool> saturated_{false};
    std::vector<double> average_sum_;
    double average_clock_ = 0.0;
    std::int64_t snapshot_every_ = 16;
};

template <class View>
TrainResult train_buckwild(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                           const TrainHooks& hooks) {
    switch (config.precision) {
        case Precision::int8:
            return BuckwildTrainer<View, FixedPoint<std::int8_t>>(X, targets, config, model, hooks).run();
        case Precision::bfloat16: return BuckwildTrainer<View, BFloat16>(X, targets, config, model, hooks).run();
        case Precision::int16: break;
    }
    return BuckwildTrainer<View, FixedPoint<std::int16_t>>(X, targets, config, model, hooks).run();
}

}  // namespace hogwild
