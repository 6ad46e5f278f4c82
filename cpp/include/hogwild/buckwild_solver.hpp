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
#include <cmath>
#include <vector>

#include "hogwild/low_precision.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/optimizer.hpp"
#include "hogwild/row_order.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/scaled_weights.hpp"
#include "hogwild/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "hogwild/write_policy.hpp"

namespace hogwild {

template <class View, class Format>
class BuckwildSolver {
  public:
    using Stored = typename Format::Stored;

    BuckwildSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : X_(X), targets_(targets), config_(config), model_(model), n_threads_(std::max(1, config.n_threads)),
          n_features_(model.n_features), strength_(penalty_strength(config)), schedule_(StepSchedule::from(config)),
          optimizer_(config, config.optimizer == Optimizer::sgd ? 0 : model.n_features + 1),
          average_(config, model, X.nnz(), X.n_rows),
          cumulative_l1_(config.optimizer == Optimizer::sgd && strength_.l1 > 0.0 && n_threads_ == 1),
          loss_sum_(n_threads_), updates_(n_threads_),
          saturated_here_(n_threads_, false) {
        scales_ = regularization_scales(X_, targets_, count_training_rows(targets, X.n_rows));
        load_weights(config_.seed);
        if (cumulative_l1_) l1_received_.assign(static_cast<std::size_t>(n_features_), 0.0);
        for (int tid = 0; tid < n_threads_; ++tid) randoms_.emplace_back(config_.seed + 7919ull * (tid + 1));
    }

    // The caller wrote the model buffers: continue from them.
    void reload() {
        load_weights(randoms_.front().next());
        average_ = IterateAverage(config_, model_, X_.nnz(), X_.n_rows, t_);
    }

    int n_threads() const { return n_threads_; }

    void start_epoch(const Epoch&) {}

    void work(int tid, int team_size, const Epoch& epoch, ThreadTeam& team) {
        FastRandom& random = randoms_[static_cast<std::size_t>(tid)];
        const Share share = share_of(X_.n_rows, tid, team_size);
        double loss_sum = 0.0, updates = 0.0;
        bool saturated = false;
        std::int64_t since_snapshot = 0;
        for (std::int64_t position = share.begin; position < share.end; ++position) {
            if (team.stop_at(tid, position - share.begin)) break;
            prefetch_ahead(X_, epoch.rows, position, share.end);
            const std::int64_t i = epoch.rows[position];
            if (!is_training_row(targets_, i)) continue;
            const double t = epoch.t_start + updates * team_size + tid;
            const double eta =
                config_.learning_rate == LearningRate::constant ? config_.eta0 : schedule_.at(t, epoch.eta);
            if (cumulative_l1_) l1_total_ += eta * strength_.l1;
            loss_sum += step(X_.row(i), targets_.y[i], targets_.sample_weight[i], eta, t, random, saturated);
            updates += 1.0;
            if (average_.on() && tid == 0 && ++since_snapshot == average_.snapshot_every()) {
                average_.snapshot(average_.clock_at(t), [&](std::size_t s) { return value(s); });
                since_snapshot = 0;
            }
        }
        loss_sum_[tid] = loss_sum;
        updates_[tid] = updates;
        saturated_here_[tid] = saturated;
    }

    EpochOutcome publish(const Epoch& epoch) {
        EpochOutcome outcome;
        outcome.loss_sum = loss_sum_.sum();
        outcome.updates = updates_.sum();
        t_ = epoch.t_start + outcome.updates;
        for (std::int64_t j = 0; j < n_features_; ++j) model_.weights[j] = weight(j);
        *model_.intercept = intercept_;
        if (average_.on()) {
            average_.snapshot(average_.clock_at(epoch.t_start + outcome.updates - 1.0),
                              [&](std::size_t s) { return value(s); });
            average_.publish(model_);
        }
        bool saturated = false;
        for (int tid = 0; tid < n_threads_; ++tid) saturated = saturated || saturated_here_[tid];
        if (saturated && format_.range() < kMaxRange) widen_range(randoms_.front());
        return outcome;
    }

  private:
    // The stored weights from the caller's buffers, rounded stochastically;
    // the fixed-point range from max(1, 2 x the largest weight).
    void load_weights(std::uint64_t seed) {
        double largest = 0.0;
        for (std::int64_t j = 0; j < n_features_; ++j) largest = std::max(largest, std::fabs(model_.weights[j]));
        format_.set_range(std::max(1.0, 2.0 * largest));
        stored_.resize(static_cast<std::size_t>(n_features_));
        FastRandom random(seed);
        bool saturated = false;
        for (std::int64_t j = 0; j < n_features_; ++j)
            stored_[static_cast<std::size_t>(j)] = format_.encode(model_.weights[j], random, saturated);
        intercept_ = *model_.intercept;
    }

    double weight(std::int64_t j) {
        return format_.decode(std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)]).load(std::memory_order_relaxed));
    }
    // (slot n_features: the intercept)
    double value(std::size_t s) {
        return s == static_cast<std::size_t>(n_features_) ? RacyWrites::read(intercept_)
                                                          : weight(static_cast<std::int64_t>(s));
    }
    void store(std::int64_t j, double w, FastRandom& random, bool& saturated) {
        std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)])
            .store(format_.encode(w, random, saturated), std::memory_order_relaxed);
    }

    template <class Row>
    double step(const Row& row, double y, double sample_weight, double eta, double t, FastRandom& random,
                bool& saturated) {
        double p = RacyWrites::read(intercept_);
        for (std::int64_t k = 0; k < row.size(); ++k) p += weight(row.index(k)) * row.value(k);
        const double loss = config_.loss.value(p, y);
        const double row_squared_norm = is_passive_aggressive(config_.learning_rate) ? squared_norm(row) : 0.0;
        if (config_.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) return loss;
        const double weight_of_example = example_weight(config_, y, sample_weight);
        if (config_.optimizer != Optimizer::sgd) {
            // a per-coordinate optimizer, its state shared Hogwild!-style in double precision
            const double derivative = clipped(config_.loss.derivative(p, y)) * weight_of_example;
            const OptimizerStep step = optimizer_.at(eta, t);
            for (std::int64_t k = 0; k < row.size(); ++k) {
                const std::int64_t j = row.index(k);
                const double w = weight(j);
                const double gradient = regularized_gradient(w, derivative * row.value(k), strength_,
                                                             scales_[static_cast<std::size_t>(j)]);
                store(j, w + optimizer_.change(j, gradient, step), random, saturated);
            }
            if (derivative != 0.0 && config_.fit_intercept) {
                const double change = optimizer_.change(n_features_, derivative * config_.intercept_decay, step);
                RacyWrites::modify(intercept_, [&](double b) { return b + change; });
            }
            return loss;
        }
        const double update = update_step(config_, eta, p, y, row_squared_norm) * weight_of_example;
        if (update == 0.0 && !strength_.any()) return loss;
        const PenaltyStrength step_strength = strength_.times(eta);
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            const double scale = scales_[static_cast<std::size_t>(j)];
            if (!cumulative_l1_) {
                store(j, sgd_coordinate(weight(j), update * row.value(k), step_strength, scale), random, saturated);
                continue;
            }
            store(j,
                  sgd_coordinate_cumulative(weight(j), update * row.value(k), PenaltyStrength{0.0, step_strength.l2},
                                            scale, l1_total_, l1_received_[static_cast<std::size_t>(j)]),
                  random, saturated);
        }
        if (update != 0.0 && config_.fit_intercept) {
            const double change = update * config_.intercept_decay;
            RacyWrites::modify(intercept_, [&](double b) { return b + change; });
        }
        return loss;
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
    const int n_threads_;
    const std::int64_t n_features_;
    const PenaltyStrength strength_;
    const StepSchedule schedule_;

    CoordinateOptimizer<RacySharedOptimizerState> optimizer_;  // state only when not plain sgd
    Format format_;
    std::vector<Stored> stored_;  // the shared low-precision weights
    double intercept_ = 0.0;
    std::vector<float> scales_;
    std::vector<FastRandom> randoms_;  // one per thread
    IterateAverage average_;
    double t_ = 1.0;  // scikit-learn's t after the last published epoch
    // plain sgd with an L1 part on one thread: the cumulative L1 penalty (as in hogwild_solver.hpp)
    const bool cumulative_l1_;
    std::vector<double> l1_received_;  // q, per feature
    double l1_total_ = 0.0;            // u
    PerThread<double> loss_sum_;
    PerThread<double> updates_;
    PerThread<bool> saturated_here_;  // a write saturated this epoch
};

template <class View>
std::unique_ptr<TrainingSession> make_buckwild_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                       const ModelState& model) {
    switch (config.precision) {
        case Precision::int8:
            return make_solver_session<View, BuckwildSolver<View, FixedPoint<std::int8_t>>>(X, targets, config, model);
        case Precision::bfloat16:
            return make_solver_session<View, BuckwildSolver<View, BFloat16>>(X, targets, config, model);
        case Precision::int16: break;
    }
    return make_solver_session<View, BuckwildSolver<View, FixedPoint<std::int16_t>>>(X, targets, config, model);
}

}  // namespace hogwild
