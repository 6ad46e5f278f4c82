// When to stop: scikit-learn's rule. Training stops once the epoch's mean
// training objective (or, with early stopping, the validation score) has
// failed to improve by `tol` for `n_iter_no_change` epochs in a row; the adaptive
// schedule instead divides its step by 5 until the step falls below 1e-6.
#pragma once

#include <cmath>
#include <limits>

#include "hogwild/config.hpp"

namespace hogwild {

class StoppingRule {
  public:
    explicit StoppingRule(const TrainConfig& config) : config_(config), adaptive_eta_(config.step.eta0) {}

    // Call after each epoch; true means stop.
    bool after_epoch(double mean_objective, double validation_score) {
        const bool has_tol = config_.stopping.tol > -std::numeric_limits<double>::infinity();
        if (config_.stopping.early_stopping) {
            if (has_tol && validation_score < best_score_ + config_.stopping.tol) ++epochs_without_improvement_;
            else epochs_without_improvement_ = 0;
            if (validation_score > best_score_) best_score_ = validation_score;
        } else {
            if (has_tol && mean_objective > best_objective_ - config_.stopping.tol) ++epochs_without_improvement_;
            else epochs_without_improvement_ = 0;
            if (mean_objective < best_objective_) best_objective_ = mean_objective;
        }
        if (epochs_without_improvement_ >= config_.stopping.n_iter_no_change) {
            if (config_.step.learning_rate == LearningRate::adaptive && adaptive_eta_ > 1e-6) {
                adaptive_eta_ /= 5.0;
                epochs_without_improvement_ = 0;
            } else {
                return true;
            }
        }
        return false;
    }

    double adaptive_eta() const { return adaptive_eta_; }

  private:
    const TrainConfig& config_;
    double adaptive_eta_;
    double best_objective_ = std::numeric_limits<double>::infinity();
    double best_score_ = -std::numeric_limits<double>::infinity();
    int epochs_without_improvement_ = 0;
};

// Score on the held-out rows, as scikit-learn's estimators score: accuracy
// for classification (labels -1/+1), R^2 for regression, both weighted.
// `negatives_never_correct`: scikit-learn's SGD under the log loss (its
// labels 0/1, its predictions -1/+1: a negative row never counts).
template <class View>
double validation_score(const View& X, const Targets& targets, bool classifier, const double* weights,
                        double weight_scale, double intercept, bool negatives_never_correct = false) {
    double weight_sum = 0.0, correct = 0.0, weighted_y = 0.0;
    std::int64_t n_validation = 0;
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        if (!targets.validation_mask[i]) continue;
        ++n_validation;
        weight_sum += targets.sample_weight[i];
        weighted_y += targets.sample_weight[i] * targets.y[i];
    }
    // (scikit-learn's r2_score of fewer than two rows is NaN, which the
    // stopping rule never counts as a stall: training runs to max_iter)
    if (!classifier && n_validation < 2) return std::numeric_limits<double>::quiet_NaN();
    if (weight_sum <= 0.0) return 0.0;
    const double mean_y = weighted_y / weight_sum;
    double residual = 0.0, total = 0.0;
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        if (!targets.validation_mask[i]) continue;
        const auto row = X.row(i);
        double p = 0.0;
        for (std::int64_t k = 0; k < row.size(); ++k) p += weights[row.index(k)] * row.value(k);
        p = p * weight_scale + intercept;
        const double w = targets.sample_weight[i], y = targets.y[i];
        if (classifier) {
            const double predicted = p > 0.0 ? 1.0 : -1.0;
            if (predicted == y && !(negatives_never_correct && y < 0.0)) correct += w;
        } else {
            residual += w * (y - p) * (y - p);
            total += w * (y - mean_y) * (y - mean_y);
        }
    }
    if (classifier) return correct / weight_sum;
    if (total == 0.0) return residual == 0.0 ? 1.0 : 0.0;
    return 1.0 - residual / total;
}

}  // namespace hogwild
