// One SGD step of a linear model on one row: the step of every per-row
// solver (hogwild, buckwild, local, easgd), written once over how a solver
// holds its weights, with the one update rule of math/update_rule.hpp
// (the penalty per touched feature, weighted by n_train / rows containing
// the feature; L1 cumulative, see runtime/cumulative_l1.hpp).
//
// `Weights` says how the solver reads and writes its weights (a small
// struct of pointers, taken by value so that they stay in registers):
//   double read(std::int64_t j)                  feature j's weight as this thread sees it
//   template <class Next> void update(j, Next)   w_j = next(w_j, k_j) (atomically where shared),
//                                                k_j = n_train / training rows containing j
//   double intercept()
//   void add_to_intercept(double change)
// and may provide
//   void shrink_all(double factor), double scale(), double& stored(j)
//                                                weights that apply the L2 penalty to all of
//                                                them at every row, by one factor (one thread
//                                                alone; no L1, plain sgd): w_j = scale() x
//                                                stored(j), and shrink_all multiplies the scale
//   template <class WithL1, class WithoutL1> void update_l1(j, WithL1, WithoutL1)
//                                                as update, with a choice per feature: the
//                                                step without the L1 penalty where the solver
//                                                applies it elsewhere (hogwild's merges)
#pragma once

#include <cstdint>

#include "hogwild/config.hpp"
#include "hogwild/core/platform.hpp"
#include "hogwild/math/loss.hpp"
#include "hogwild/linear/penalty.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/thread_team.hpp"
#include "hogwild/linear/scaled_weights.hpp"
#include "hogwild/runtime/schedule.hpp"

namespace hogwild {

// What a per-row solver over weights its threads share (hogwild, buckwild)
// keeps besides them: the optimizer state, shared Hogwild!-style (none for
// plain sgd); the averaged iterates; the cumulative L1 books; each
// thread's epoch sums.
struct SharedRowsState {
    SharedRowsState(const TrainConfig& config, const ModelState& model, const PenaltyStrength& strength, int n_threads,
                    std::int64_t nnz, std::int64_t n_rows)
        : optimizer(config, config.step.optimizer == Optimizer::sgd ? 0 : model.n_features + 1),
          average(config, model, nnz, n_rows),
          l1(config, strength, model.n_features, true, n_threads > 1),
          loss_sum(n_threads),
          updates(n_threads),
          l1_pulls(n_threads) {}

    // Thread 0 at the epoch's end: the epoch's sums, and u grown by every
    // thread's L1 pulls.
    EpochOutcome end_epoch() {
        EpochOutcome outcome;
        outcome.loss_sum = loss_sum.sum();
        outcome.updates = updates.sum();
        if (l1.on()) l1.set_total(l1.total() + l1_pulls.sum());
        return outcome;
    }

    CoordinateOptimizer<RacySharedOptimizerState> optimizer;
    IterateAverage average;
    CumulativeL1 l1;
    PerThread<double> loss_sum;  // the epoch's summed loss, per thread
    PerThread<double> updates;   // the epoch's rows, per thread
    PerThread<double> l1_pulls;  // the epoch's L1 pulls, per thread (L1Clock::own)
};

// The step of update t at step size eta; with a per-coordinate optimizer
// (not plain sgd) the optimizer's step, the penalty's subgradient with the
// loss gradient. Returns the row's loss before the step (for the epoch's
// objective, as LossSum::add takes it).
// (always inlined: see HOGWILD_ALWAYS_INLINE)
template <class Row, class Weights, class OptimizerState>
HOGWILD_ALWAYS_INLINE RowLoss linear_row_step(const TrainConfig& config, const PenaltyStrength& strength, const Row& row_in, double y,
                       double sample_weight, double eta, double t, std::int64_t intercept_slot, Weights weights_in,
                       CoordinateOptimizer<OptimizerState>& optimizer, CumulativeL1& l1, L1Clock& clock) {
    // Local copies of the row's and the weights' pointers: the compiler then
    // keeps them in registers, where through a reference or a parameter
    // passed in memory it reloads them after every (relaxed atomic) store.
    const Row row = row_in;
    Weights weights = weights_in;
    // the margin in four independent sums (one chain of additions would make
    // every coordinate wait for the last: the dot product is latency-bound),
    // four scalars rather than an array, which the compiler kept in memory
    // (the weights' relaxed atomic loads stop it from promoting the array)
    // (weights stored over a common scale: the scale multiplies the sum, not
    // every term, as scikit-learn's WeightVector.dot does)
    constexpr bool kScaled = requires { weights.shrink_all(1.0); };
    auto dot_weight = [&](std::int64_t j) {
        if constexpr (kScaled) return weights.stored(j);
        else return weights.read(j);
    };
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    std::int64_t k = 0;
    for (; k + 4 <= row.size(); k += 4) {
        s0 += dot_weight(row.index(k)) * row.value(k);
        s1 += dot_weight(row.index(k + 1)) * row.value(k + 1);
        s2 += dot_weight(row.index(k + 2)) * row.value(k + 2);
        s3 += dot_weight(row.index(k + 3)) * row.value(k + 3);
    }
    for (; k < row.size(); ++k) s0 += dot_weight(row.index(k)) * row.value(k);
    double dot = (s0 + s1) + (s2 + s3);
    if constexpr (kScaled) dot *= weights.scale();
    const double p = weights.intercept() + dot;
    const LossAndDerivative at = config.objective.loss.value_and_derivative(p, y);
    const double weight = example_weight(config, y, sample_weight);
    if (config.step.optimizer != Optimizer::sgd) {
        const double derivative = clipped(at.derivative) * weight;
        const OptimizerStep step = optimizer.at(eta, t);
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            weights.update(j, [&](double w, double penalty_weight) {
                return w + optimizer.change(
                               j, regularized_gradient(w, derivative * row.value(k), strength, penalty_weight), step);
            });
        }
        if (derivative != 0.0 && config.objective.fit_intercept)
            weights.add_to_intercept(optimizer.change(intercept_slot, derivative * config.objective.intercept_decay, step));
        return at.loss;
    }
    const double row_squared_norm = is_passive_aggressive(config.step.learning_rate) ? squared_norm(row) : 0.0;
    // an empty row gives PA-I nothing to step on (as in the sequential solver)
    if (config.step.learning_rate == LearningRate::pa1 && row_squared_norm == 0.0) return at.loss;
    if (clock.on()) clock.advance(eta);
    const double update = update_step(config, eta, p, y, row_squared_norm, at) * weight;
    if (update == 0.0 && !strength.any()) return at.loss;
    const PenaltyStrength step_strength = strength.times(eta);
    if (clock.on()) {
        const double u = clock.u();
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            const double loss_step = update * row.value(k);
            auto with_l1 = [&](double w, double penalty_weight) {
                return l1.step_at(u, j, w, loss_step, step_strength.l2, penalty_weight);
            };
            if constexpr (requires { weights.update_l1(j, with_l1, with_l1); }) {
                weights.update_l1(j, with_l1, [&](double w, double penalty_weight) {
                    return sgd_coordinate(w, loss_step, step_strength.l2, penalty_weight);
                });
            } else {
                weights.update(j, with_l1);
            }
        }
    } else if constexpr (kScaled) {
        // weights that carry the L2 penalty as one factor over all of them:
        // the prox of the whole penalty, (w + loss step) / (1 + l2_step), is
        // one product on that factor, and a row whose loss step is zero
        // writes no coordinate
        // (a stored value moves by update x shrink / new scale = update /
        // old scale: the reciprocal taken before the shrink, off the chain
        // from the margin to the writes, which it shortened by a division)
        const double per_stored = 1.0 / weights.scale();
        const double shrink = 1.0 / (1.0 + step_strength.l2);
        weights.shrink_all(shrink);
        if (update != 0.0) {
            const double stored_step = update * per_stored;
            for (std::int64_t k = 0; k < row.size(); ++k) weights.stored(row.index(k)) += stored_step * row.value(k);
        }
    } else {
        // the L2 prox divides by 1 + l2_step k_j; for the features of weight
        // k_j = 1 (every feature of dense data) one division per row, then
        // products (a division per coordinate costs more than the rest of it)
        // (the tests on l2 and on k_j hoisted out of the loop where they can be)
        const double l2 = step_strength.l2;
        const double unit_shrink = 1.0 / (1.0 + l2);
        if (l2 > 0.0) {
            for (std::int64_t k = 0; k < row.size(); ++k) {
                const double loss_step = update * row.value(k);
                weights.update(row.index(k), [&](double w, double penalty_weight) {
                    // = sgd_coordinate(w, loss_step, l2, penalty_weight) (no L1 part here)
                    return penalty_weight == 1.0 ? (w + loss_step) * unit_shrink
                                                 : (w + loss_step) / (1.0 + l2 * penalty_weight);
                });
            }
        } else {
            for (std::int64_t k = 0; k < row.size(); ++k) {
                const double loss_step = update * row.value(k);
                weights.update(row.index(k), [&](double w, double) { return w + loss_step; });
            }
        }
    }
    if (update != 0.0 && config.objective.fit_intercept) weights.add_to_intercept(update * config.objective.intercept_decay);
    return at.loss;
}

}  // namespace hogwild
