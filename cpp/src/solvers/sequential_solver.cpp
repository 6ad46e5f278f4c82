// The sequential solver: scikit-learn's _plain_sgd, step for step, so that
// with the same data, hyper-parameters and seed it learns the same model.
// It runs on the epoch driver with a team of one thread.

#include <algorithm>
#include <cmath>
#include <vector>

#include "hogwild/linear/penalty.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/linear/scaled_weights.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "data_layouts.hpp"

namespace hogwild {

template <class View>
class SequentialSolver {
  public:
    SequentialSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : X_(X), targets_(targets), config_(config), model_(model), l1_ratio_(effective_l1_ratio(config)),
          shrinks_(config.objective.penalty == Penalty::l2 || config.objective.penalty == Penalty::elasticnet),
          cumulative_l1_(config.objective.penalty == Penalty::l1 || config.objective.penalty == Penalty::elasticnet),
          averaging_(config.step.average > 0), passive_aggressive_(is_passive_aggressive(config.step.learning_rate)),
          schedule_(without_plateau_decay(StepSchedule::from(config))), n_train_(count_training_rows(targets, X.n_rows)),
          // the solver's own copy of the weights: scikit-learn's scaled vector, published unscaled
          weights_(model.weights, model.weights + model.n_features),
          average_(averaging_ ? std::vector<double>(model.average_weights, model.average_weights + model.n_features)
                              : std::vector<double>()),
          w_(weights_.data(), averaging_ ? average_.data() : nullptr, model.n_features),
          l1_received_(cumulative_l1_ ? static_cast<std::size_t>(model.n_features) : 0, 0.0),
          intercept_(*model.intercept), average_intercept_(averaging_ ? *model.average_intercept : 0.0),
          t_(config.step.t_start), eta_(config.step.eta0) {}

    int n_threads() const { return 1; }

    // The caller wrote the model buffers: continue from them (with a fresh
    // scale and the penalty received so far kept).
    void reload() {
        std::copy(model_.weights, model_.weights + model_.n_features, weights_.begin());
        if (averaging_) std::copy(model_.average_weights, model_.average_weights + model_.n_features, average_.begin());
        w_ = ScaledWeights(weights_.data(), averaging_ ? average_.data() : nullptr, model_.n_features);
        intercept_ = *model_.intercept;
        if (averaging_) average_intercept_ = *model_.average_intercept;
    }

    void start_epoch(const Epoch& epoch) {
        if (config_.step.learning_rate == LearningRate::exponential || config_.step.learning_rate == LearningRate::step ||
            config_.step.learning_rate == LearningRate::adaptive)
            eta_ = epoch.eta;
    }

    void work(int tid, int, const Epoch& epoch, ThreadTeam& team) {
        if (tid != 0) return;
        objective_sum_ = loss_sum_ = 0.0;
        updates_ = 0;
        const std::int64_t n_rows = X_.n_rows;
        for (std::int64_t position = 0; position < n_rows; ++position) {
            if (team.stop_at(tid, position)) return;
            prefetch_ahead(X_, epoch.rows, position, n_rows);
            const std::int64_t i = epoch.rows[position];
            if (!is_training_row(targets_, i)) continue;
            step(X_.row(i), targets_.y[i], targets_.sample_weight[i]);
        }
    }

    // The scaled weights stay as they are (as scikit-learn keeps them);
    // the caller's buffers get them unscaled, computed as scikit-learn's
    // final reset of the scale computes them.
    EpochOutcome publish(const Epoch&) {
        w_.copy_current(model_.weights, averaging_ ? model_.average_weights : nullptr);
        *model_.intercept = intercept_;
        if (averaging_) *model_.average_intercept = average_intercept_;
        EpochOutcome outcome;
        outcome.loss_sum = loss_sum_;
        outcome.updates = static_cast<double>(updates_);
        // scikit-learn's stopping rule compares its own per-update objective,
        // and it checks only the weights for overflow; it scores the
        // validation rows on its stored vector alone, without the scale that
        // the L2 penalty has shrunk it by (validation_score_cb(weights.base,
        // ...) in its _sgd_fast.pyx.tp), and under the log loss against its
        // 0/1 labels: with early stopping and an L2 part, or the log loss,
        // it stopped at other epochs than the weights' own scores would
        outcome.stopping_objective = n_train_ > 0 ? objective_sum_ / static_cast<double>(n_train_) : 0.0;
        outcome.objective_must_be_finite = false;
        outcome.evaluated = PublishedModel{model_.n_features, w_.raw(), w_.weight_scale(), intercept_, model_.weights,
                                           averaging_ ? model_.average_weights : nullptr, average_intercept_,
                                           /*sklearn_validation=*/true};
        return outcome;
    }

  private:
    template <class Row>
    void step(const Row& row, double y, double sample_weight) {
        const double p = w_.dot(row) + intercept_;
        if (config_.step.learning_rate == LearningRate::optimal || config_.step.learning_rate == LearningRate::invscaling)
            eta_ = schedule_.at(t_, eta_);
        const double loss = config_.objective.loss.value(p, y);
        loss_sum_ += loss;
        if (!config_.stopping.early_stopping) {
            // scikit-learn's per-update objective, with its running norms
            objective_sum_ += loss;
            if (!passive_aggressive_ && config_.objective.penalty != Penalty::none)
                objective_sum_ += config_.objective.alpha * ((1.0 - l1_ratio_) * 0.5 * std::pow(w_.norm(), 2.0) +
                                                   l1_ratio_ * w_.l1_norm());
        }
        const double class_weight = y > 0.0 ? config_.objective.weight_pos : config_.objective.weight_neg;
        double row_squared_norm = 0.0;
        if (passive_aggressive_) {
            row_squared_norm = squared_norm(row);
            // an empty row gives PA-I nothing to step on: skipped, t unchanged
            if (config_.step.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) return;
        }
        // (value and derivative apart, as scikit-learn computes them)
        double update = update_step(config_, eta_, p, y, row_squared_norm, {{loss, 1.0}, config_.objective.loss.derivative(p, y)});
        update = update * (class_weight * sample_weight);

        if (shrinks_) {
            const double factor = 1.0 - (1.0 - l1_ratio_) * eta_ * config_.objective.alpha;
            w_.scale(factor > 0.0 ? factor : 0.0);
        }
        if (update != 0.0) w_.add(row, update);
        if (config_.objective.fit_intercept && update != 0.0) intercept_ = intercept_ + update * config_.objective.intercept_decay;
        if (averaging_ && static_cast<double>(config_.step.average) <= t_) {
            const double count = (t_ - static_cast<double>(config_.step.average)) + 1.0;
            w_.add_to_average(row, update, count);
            average_intercept_ = average_intercept_ + (intercept_ - average_intercept_) / count;
        }
        if (cumulative_l1_) {
            l1_total_ = l1_total_ + (l1_ratio_ * eta_) * config_.objective.alpha;
            w_.apply_cumulative_l1(row, l1_received_.data(), l1_total_);
        }
        t_ += 1.0;
        ++updates_;
    }

    const View& X_;
    const Targets& targets_;
    const TrainConfig& config_;
    ModelState& model_;
    const double l1_ratio_;
    const bool shrinks_;
    const bool cumulative_l1_;
    const bool averaging_;
    const bool passive_aggressive_;
    const StepSchedule schedule_;
    const std::int64_t n_train_;

    std::vector<double> weights_;
    std::vector<double> average_;
    ScaledWeights w_;
    std::vector<double> l1_received_;
    double l1_total_ = 0.0;  // Tsuruoka's u
    double intercept_;
    double average_intercept_;
    double t_;
    double eta_;
    double objective_sum_ = 0.0;  // scikit-learn's, for its stopping rule
    double loss_sum_ = 0.0;       // for the history
    std::int64_t updates_ = 0;
};

template <class View>
std::unique_ptr<TrainingSession> make_sequential_session(const View& X, const Targets& targets,
                                                         const TrainConfig& config, const ModelState& model) {
    return make_solver_session<View, SequentialSolver<View>>(X, targets, config, model);
}

}  // namespace hogwild

HOGWILD_INSTANTIATE_SOLVER(make_sequential_session)
