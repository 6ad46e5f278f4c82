// One SGD step of a linear model on one row, on weights that only the
// calling thread writes (a private replica): the step of the local and
// elastic-averaging solvers. Regularization is per touched feature, as in
// the hogwild solver (see hogwild_solver.hpp): each row pulls the weights of
// its features by the penalty scaled by n_train / (rows containing the
// feature), applied as a proximal step, which sums to the full penalty over
// an epoch and costs O(nnz of the row).
#pragma once

#include <cstdint>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/optimizer.hpp"
#include "hogwild/penalty.hpp"
#include "hogwild/scaled_weights.hpp"
#include "hogwild/schedule.hpp"

namespace hogwild {

// n_train / (training rows containing the feature), 0 for absent features.
template <class View>
std::vector<float> regularization_scales(const View& X, const Targets& targets, std::int64_t n_train) {
    std::vector<std::uint32_t> rows(static_cast<std::size_t>(X.n_cols), 0);
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        if (targets.validation_mask != nullptr && targets.validation_mask[i]) continue;
        const auto row = X.row(i);
        for (std::int64_t k = 0; k < row.size(); ++k) ++rows[static_cast<std::size_t>(row.index(k))];
    }
    std::vector<float> scales(rows.size(), 0.0f);
    for (std::size_t j = 0; j < rows.size(); ++j)
        if (rows[j] > 0) scales[j] = static_cast<float>(static_cast<double>(n_train) / rows[j]);
    return scales;
}

// `weights` holds n_features weights and then the intercept. With a
// per-coordinate optimizer (not plain sgd) the step is the optimizer's, at
// step count t, with the penalty's gradient. Returns the row's loss before
// the step (for the epoch's objective).
template <class Row>
double private_row_step(const TrainConfig& config, const Row& row, double y, double sample_weight, double eta,
                        double* weights, std::int64_t n_features, const float* regularization_scale,
                        double l1_ratio, CoordinateOptimizer<PrivateOptimizerState>& optimizer, double t) {
    double p = weights[n_features];
    for (std::int64_t k = 0; k < row.size(); ++k) p += weights[row.index(k)] * row.value(k);
    const double loss = config.loss.value(p, y);
    if (config.optimizer != Optimizer::sgd) {
        const double class_weight = y > 0.0 ? config.weight_pos : config.weight_neg;
        // (update_step with a unit rate is -dloss/dp, clipped as scikit-learn clips it)
        const double derivative = -update_step(config, 1.0, p, y, 0.0) * (class_weight * sample_weight);
        const OptimizerStep step = optimizer.at(eta, t);
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            const double gradient =
                derivative * row.value(k) + penalty_gradient(config, weights[j], regularization_scale[j], l1_ratio);
            weights[j] += optimizer.change(j, gradient, step);
        }
        if (derivative != 0.0 && config.fit_intercept)
            weights[n_features] += optimizer.change(n_features, derivative * config.intercept_decay, step);
        return loss;
    }
    const bool passive_aggressive = is_passive_aggressive(config.learning_rate);
    const double row_squared_norm = passive_aggressive ? squared_norm(row) : 0.0;
    if (config.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) return loss;
    const double class_weight = y > 0.0 ? config.weight_pos : config.weight_neg;
    const double update = update_step(config, eta, p, y, row_squared_norm) * (class_weight * sample_weight);
    const double l2_strength = config.penalty == Penalty::none ? 0.0 : eta * config.alpha * (1.0 - l1_ratio);
    const double l1_strength = config.penalty == Penalty::none ? 0.0 : eta * config.alpha * l1_ratio;
    if (update == 0.0 && l1_strength == 0.0 && l2_strength == 0.0) return loss;
    for (std::int64_t k = 0; k < row.size(); ++k) {
        const std::int64_t j = row.index(k);
        const double r = regularization_scale[j];
        double w = weights[j] + update * row.value(k);
        if (l1_strength > 0.0) {
            const double cut = l1_strength * r;
            w = w > cut ? w - cut : (w < -cut ? w + cut : 0.0);
        }
        if (l2_strength > 0.0) w /= 1.0 + l2_strength * r;
        weights[j] = w;
    }
    if (config.fit_intercept) weights[n_features] += update * config.intercept_decay;
    return loss;
}

}  // namespace hogwild
