// The sequential solver: scikit-learn's _plain_sgd, step for step, so that
// with the same data, hyper-parameters and seed it learns the same model.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "hogwild/penalty.hpp"
#include "hogwild/row_order.hpp"
#include "hogwild/scaled_weights.hpp"
#include "hogwild/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "hogwild/stopping_rule.hpp"

namespace hogwild {

template <class View>
TrainResult train_sequential(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                             const TrainHooks& hooks) {
    using Clock = std::chrono::steady_clock;
    constexpr std::int64_t kRowsBetweenInterruptChecks = 4096;

    const InterruptCheck& interrupted = hooks.interrupted;
    TrainResult result;
    const std::int64_t n_rows = X.n_rows;
    const double l1_ratio = effective_l1_ratio(config);
    const bool shrinks = config.penalty == Penalty::l2 || config.penalty == Penalty::elasticnet;
    const bool cumulative_l1 = config.penalty == Penalty::l1 || config.penalty == Penalty::elasticnet;
    const bool averaging = config.average > 0;

    ScaledWeights w(model.weights, averaging ? model.average_weights : nullptr, model.n_features);
    // the unscaled model for the epoch callback, if there is one
    std::vector<double> snapshot_weights(hooks.after_epoch ? static_cast<std::size_t>(model.n_features) : 0);
    std::vector<double> snapshot_average(hooks.after_epoch && averaging ? snapshot_weights.size() : 0);
    std::vector<double> l1_received(cumulative_l1 ? static_cast<std::size_t>(model.n_features) : 0, 0.0);
    double l1_total = 0.0;  // Tsuruoka's u
    double intercept = *model.intercept;
    double average_intercept = averaging ? *model.average_intercept : 0.0;

    const StepSchedule schedule = StepSchedule::from(config);
    const bool passive_aggressive = is_passive_aggressive(config.learning_rate);
    StoppingRule stopping(config);
    RowOrder order(n_rows, config.shuffle_block_size, config.seed);
    double t = config.t_start;
    double eta = config.eta0;
    std::int64_t n_train = n_rows;
    if (targets.validation_mask != nullptr)
        for (std::int64_t i = 0; i < n_rows; ++i) n_train -= targets.validation_mask[i] ? 1 : 0;

    for (int epoch = 0; epoch < config.max_iter; ++epoch) {
        const auto epoch_start = Clock::now();
        if (config.learning_rate == LearningRate::exponential || config.learning_rate == LearningRate::step)
            eta = epoch_rate(config, epoch, eta);
        order.next_epoch(config.shuffle);
        const std::int64_t* rows = order.rows();
        double objective_sum = 0.0;  // scikit-learn's, for its stopping rule
        double loss_sum = 0.0;       // for the history
        std::int64_t updates = 0;

        for (std::int64_t position = 0; position < n_rows; ++position) {
            if (position % kRowsBetweenInterruptChecks == 0 && position > 0 && interrupted && interrupted()) {
                result.interrupted = true;
                break;
            }
            prefetch_ahead(X, rows, position, n_rows);
            const std::int64_t i = rows[position];
            if (targets.validation_mask != nullptr && targets.validation_mask[i]) continue;
            const auto row = X.row(i);
            const double y = targets.y[i];
            const double p = w.dot(row) + intercept;
            if (config.learning_rate == LearningRate::optimal || config.learning_rate == LearningRate::invscaling)
                eta = schedule.at(t, eta);
            const double loss = config.loss.value(p, y);
            loss_sum += loss;
            if (!config.early_stopping) {
                // scikit-learn's per-update objective, with its running norms
                objective_sum += loss;
                if (!passive_aggressive && config.penalty != Penalty::none)
                    objective_sum += config.alpha * ((1.0 - l1_ratio) * 0.5 * std::pow(w.norm(), 2.0) +
                                                     l1_ratio * w.l1_norm());
            }
            const double class_weight = y > 0.0 ? config.weight_pos : config.weight_neg;
            double row_squared_norm = 0.0;
            if (passive_aggressive) {
                row_squared_norm = squared_norm(row);
                // an empty row gives PA-I nothing to step on: skipped, t unchanged
                if (config.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) continue;
            }
            double update = update_step(config, eta, p, y, row_squared_norm);
            update = update * (class_weight * targets.sample_weight[i]);

            if (shrinks) {
                const double factor = 1.0 - (1.0 - l1_ratio) * eta * config.alpha;
                w.scale(factor > 0.0 ? factor : 0.0);
            }
            if (update != 0.0) w.add(row, update);
            if (config.fit_intercept && update != 0.0) intercept = intercept + update * config.intercept_decay;
            if (averaging && static_cast<double>(config.average) <= t) {
                const double count = (t - static_cast<double>(config.average)) + 1.0;
                w.add_to_average(row, update, count);
                average_intercept = average_intercept + (intercept - average_intercept) / count;
            }
            if (cumulative_l1) {
                l1_total = l1_total + (l1_ratio * eta) * config.alpha;
                w.apply_cumulative_l1(row, l1_received.data(), l1_total);
            }
            t += 1.0;
            ++updates;
        }
        if (result.interrupted) break;
        result.n_iter = epoch + 1;

        EpochRecord record;
        record.updates = updates;
        record.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
        record.examples_per_second = record.seconds > 0.0 ? updates / record.seconds : 0.0;
        const double stopping_objective = n_train > 0 ? objective_sum / static_cast<double>(n_train) : 0.0;
        record.objective = (updates > 0 ? loss_sum / static_cast<double>(updates) : 0.0) +
                           penalty_value(config, w.raw(), model.n_features, w.weight_scale());
        if (!std::isfinite(intercept) || !all_finite(w.raw(), model.n_features)) {
            result.diverged = true;
            result.history.push_back(record);
            break;
        }
        if (config.early_stopping)
            record.validation_score =
                validation_score(X, targets, config.classifier, w.raw(), w.weight_scale(), intercept);
        result.history.push_back(record);
        if (hooks.after_epoch) {
            w.copy_current(snapshot_weights.data(), snapshot_average.data());
            EpochSnapshot snapshot{epoch + 1, &record, t, model.n_features, snapshot_weights.data(), intercept,
                                   averaging ? snapshot_average.data() : nullptr, average_intercept};
            if (!hooks.after_epoch(snapshot)) {
                result.stopped_by_callback = true;
                break;
            }
        }
        if (stopping.after_epoch(stopping_objective, record.validation_score)) break;
        if (interrupted && interrupted()) {  // also once per epoch, however small the data
            result.interrupted = true;
            break;
        }
        if (config.learning_rate == LearningRate::adaptive) eta = stopping.adaptive_eta();
    }
    w.reset_scale();
    *model.intercept = intercept;
    if (averaging) *model.average_intercept = average_intercept;
    result.t = t;
    return result;
}

}  // namespace hogwild
