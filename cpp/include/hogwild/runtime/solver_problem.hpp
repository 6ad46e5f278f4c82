// What every solver is given: the data, the targets, the configuration and
// the caller's model buffers, and what follows from them at once (threads,
// features, the penalty's strengths, the step schedule).
#pragma once

#include <algorithm>
#include <cstdint>

#include "hogwild/config.hpp"
#include "hogwild/linear/penalty.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/schedule.hpp"

namespace hogwild {

template <class View>
struct SolverProblem {
    SolverProblem(const View& X_, const Targets& targets_, const TrainConfig& config_, ModelState& model_)
        : X(X_),
          targets(targets_),
          config(config_),
          model(model_),
          n_threads(std::max(1, config_.parallel.n_threads)),
          n_features(model_.n_features),
          strength(penalty_strength(config_)),
          schedule(StepSchedule::from(config_)) {}

    // The step size of update t (constant: eta0; the epoch-wise rates: `epoch_eta`).
    HOGWILD_ALWAYS_INLINE double step_size(double t, double epoch_eta) const {  // (once a row)
        return config.step.learning_rate == LearningRate::constant ? config.step.eta0 : schedule.at(t, epoch_eta);
    }

    const View& X;
    const Targets& targets;
    const TrainConfig& config;
    ModelState& model;
    const int n_threads;
    const std::int64_t n_features;
    const PenaltyStrength strength;  // alpha l1_ratio, alpha (1 - l1_ratio)
    const StepSchedule schedule;
};

}  // namespace hogwild
