// One SGD step of a linear model on one row, on weights that only the
// calling thread writes (a private replica): the step of the local and
// elastic-averaging solvers, with the one update rule of
// math/update_rule.hpp (penalty per touched feature, weighted by
// n_train / rows containing the feature).
#pragma once

#include <cstdint>

#include "hogwild/config.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/optimizer.hpp"
#include "hogwild/scaled_weights.hpp"
#include "hogwild/schedule.hpp"

namespace hogwild {

// `weights` holds n_features weights and then the intercept. With a
// per-coordinate optimizer (not plain sgd) the step is the optimizer's, at
// step count t. Returns the row's loss before the step (for the epoch's
// objective).
template <class Row>
double private_row_step(const TrainConfig& config, const Row& row, double y, double sample_weight, double eta,
                        double* weights, std::int64_t n_features, const float* regularization_scale,
                        const PenaltyStrength& strength, CoordinateOptimizer<PrivateOptimizerState>& optimizer,
                        double t) {
    double p = weights[n_features];
    for (std::int64_t k = 0; k < row.size(); ++k) p += weights[row.index(k)] * row.value(k);
    const double loss = config.loss.value(p, y);
    const double weight = example_weight(config, y, sample_weight);
    if (config.optimizer != Optimizer::sgd) {
        const double derivative = clipped(config.loss.derivative(p, y)) * weight;
        const OptimizerStep step = optimizer.at(eta, t);
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            weights[j] += optimizer.change(
                j, regularized_gradient(weights[j], derivative * row.value(k), strength, regularization_scale[j]),
                step);
        }
        if (derivative != 0.0 && config.fit_intercept)
            weights[n_features] += optimizer.change(n_features, derivative * config.intercept_decay, step);
        return loss;
    }
    const bool passive_aggressive = is_passive_aggressive(config.learning_rate);
    const double row_squared_norm = passive_aggressive ? squared_norm(row) : 0.0;
    if (config.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) return loss;
    const double update = update_step(config, eta, p, y, row_squared_norm) * weight;
    if (update == 0.0 && !strength.any()) return loss;
    const PenaltyStrength step_strength = strength.times(eta);
    for (std::int64_t k = 0; k < row.size(); ++k) {
        const std::int64_t j = row.index(k);
        weights[j] = sgd_coordinate(weights[j], update * row.value(k), step_strength, regularization_scale[j]);
    }
    if (config.fit_intercept) weights[n_features] += update * config.intercept_decay;
    return loss;
}

}  // namespace hogwild
