// Learning-rate schedules: scikit-learn's, and the epoch-wise exponential
// and step decays.
#pragma once

#include <algorithm>
#include <cmath>

#include "hogwild/config.hpp"
#include "hogwild/core/platform.hpp"

namespace hogwild {

struct StepSchedule {
    LearningRate kind = LearningRate::optimal;
    double eta0 = 0.0;
    double power_t = 0.5;
    double alpha = 1e-4;
    double optimal_init = 1.0;  // t offset of Bottou's "optimal" rate
    bool decay_on_plateau = false;  // "optimal": min(rate, epoch_eta / t) (see EpochDriver::note_plateau)

    static StepSchedule from(const TrainConfig& config) {
        StepSchedule schedule{.kind = config.step.learning_rate,
                              .eta0 = config.step.eta0,
                              .power_t = config.step.power_t,
                              .alpha = config.objective.alpha,
                              .decay_on_plateau = config.step.decay_on_plateau};
        if (config.step.learning_rate == LearningRate::optimal) {
            // the step at t = 1 given (learning_rate="auto" sets it from the
            // data's smoothness), or Bottou's heuristic: start where a typical
            // weight of size 1/sqrt(sqrt(alpha)) would get a step of its own size
            double initial_eta = config.step.initial_eta;
            if (!(initial_eta > 0.0)) {
                const double typical_weight = std::sqrt(1.0 / std::sqrt(config.objective.alpha));
                initial_eta = typical_weight / std::max(1.0, config.objective.loss.derivative(-typical_weight, 1.0));
            }
            schedule.optimal_init = 1.0 / (initial_eta * config.objective.alpha);
        }
        return schedule;
    }

    // Step size at update number t (t counts from 1). `epoch_eta` is the
    // rate of an epoch-wise schedule (see epoch_rate) for the current epoch.
    HOGWILD_ALWAYS_INLINE double at(double t, double epoch_eta) const {  // (once a row: see platform.hpp)
        // (passive-aggressive rules take their step from the example; eta0 is their cap)
        switch (kind) {
            case LearningRate::optimal: {
                const double rate = 1.0 / (alpha * (optimal_init + t - 1.0));
                return decay_on_plateau ? std::min(rate, epoch_eta / t) : rate;
            }
            case LearningRate::invscaling: return eta0 / std::pow(t, power_t);
            case LearningRate::adaptive:
            case LearningRate::exponential:
            case LearningRate::step: return epoch_eta;
            case LearningRate::constant:
            case LearningRate::barzilai_borwein:  // (the gd solver takes its own: runtime/barzilai_borwein.hpp)
            case LearningRate::pa1:
            case LearningRate::pa2: return eta0;
        }
        return eta0;
    }
};

// `schedule` without the decay from a plateau (the sequential solver stays
// scikit-learn's algorithm; it passes its last step as epoch_eta).
inline StepSchedule without_plateau_decay(StepSchedule schedule) {
    schedule.decay_on_plateau = false;
    return schedule;
}

// The rate of epoch `epoch` (0-based, within this training call) under the
// epoch-wise schedules; `adaptive_eta` is the adaptive schedule's current
// rate (kept by the stopping rule). eta0 for the others.
inline double epoch_rate(const TrainConfig& config, int epoch, double adaptive_eta) {
    const int epochs_done = config.step.epoch_start + epoch;
    switch (config.step.learning_rate) {
        case LearningRate::adaptive: return adaptive_eta;
        case LearningRate::exponential: return config.step.eta0 * std::pow(config.step.gamma, epochs_done);
        case LearningRate::step:
            return config.step.eta0 * std::pow(config.step.gamma, epochs_done / std::max(1, config.step.step_epochs));
        default: return config.step.eta0;
    }
}

}  // namespace hogwild

namespace hogwild {

// The step of an update: -eta * dloss/dp for gradient rules, or the
// passive-aggressive step, which moves just far enough to fix the example
// (capped by C = eta0 for PA-I, softened by 1/(2C) for PA-II); `at` is the
// loss and its derivative at the margin p.
HOGWILD_ALWAYS_INLINE double update_step(const TrainConfig& config, double eta, double p, double y, double squared_norm,
                                         LossAndDerivative at) {
    const LearningRate rule = config.step.learning_rate;
    if (rule != LearningRate::pa1 && rule != LearningRate::pa2) return -eta * clipped(at.derivative);
    double step;
    if (rule == LearningRate::pa1) {
        const double ratio = at.loss.value() / squared_norm;
        step = ratio < config.step.eta0 ? ratio : config.step.eta0;
    } else {
        step = at.loss.value() / (squared_norm + 0.5 / config.step.eta0);
    }
    const bool hinge = config.objective.loss.kind == Loss::hinge || config.objective.loss.kind == Loss::perceptron;
    if (hinge) step *= y;
    else if (y - p < 0.0) step *= -1.0;
    return step;
}

inline bool is_passive_aggressive(LearningRate rule) {
    return rule == LearningRate::pa1 || rule == LearningRate::pa2;
}

}  // namespace hogwild
