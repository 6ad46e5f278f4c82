// The per-coordinate optimizers' state, one or two numbers per coordinate
// (the formulas are math/optimizer_rule.hpp's), and how solvers share it.
//
// The state is updated lazily: a step changes only the coordinates it is
// given (on sparse data, those its rows touch); an untouched coordinate's
// velocity does not decay and its moments stay as they were. Adam's bias
// correction uses the optimizer's global step count t, not a per-coordinate
// count, as PyTorch's SparseAdam does.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/math/optimizer_rule.hpp"

namespace hogwild {

// The optimizer's constants from the configuration.
inline OptimizerRule optimizer_rule(const TrainConfig& config) {
    const StepRule& step = config.step;
    return OptimizerRule{step.optimizer, step.momentum, step.beta1, step.beta2, step.optimizer_eps};
}

// How the optimizer reads and writes its state.
// One owner per coordinate (synchronous solvers): plain accesses.
struct PrivateOptimizerState {
    static double load(double& slot) { return slot; }
    static void store(double& slot, double value) { slot = value; }
};

// State shared Hogwild!-style by threads that may update the same
// coordinate: relaxed atomic accesses (plain moves on x86, no data race),
// where a concurrent update may occasionally be lost, as with the weights.
struct RacySharedOptimizerState {
    static double load(double& slot) { return std::atomic_ref<double>(slot).load(std::memory_order_relaxed); }
    static void store(double& slot, double value) {
        std::atomic_ref<double>(slot).store(value, std::memory_order_relaxed);
    }
};

// A coordinate optimizer's state as the caller sees it between training
// runs (empty vectors where the optimizer keeps none).
struct OptimizerMoments {
    std::vector<double> first;   // velocity (momentum, nesterov) or Adam's first moment
    std::vector<double> second;  // sum (adagrad) or moving average (rmsprop, adam) of squared gradients
};

template <class StateAccess = PrivateOptimizerState>
class CoordinateOptimizer {
  public:
    // `n_slots` coordinates, usually n_features + 1: the last one is the intercept's.
    CoordinateOptimizer(const TrainConfig& config, std::int64_t n_slots) : rule_(optimizer_rule(config)) {
        const auto n = static_cast<std::size_t>(n_slots);
        if (rule_.uses_first()) first_.assign(n, 0.0);
        if (rule_.uses_second()) second_.assign(n, 0.0);
    }

    // The per-step quantities at optimizer step t (t counts from 1).
    OptimizerStep at(double eta, double t) const { return optimizer_step(rule_, eta, t); }

    // The change of coordinate `slot`'s weight for its gradient, updating
    // the coordinate's state.
    // (plain sgd's step is kept small enough to inline into the solvers' loops)
    double change(std::int64_t slot, double gradient, const OptimizerStep& step) {
        if (rule_.kind == Optimizer::sgd) return -step.eta * gradient;
        return stateful_change(slot, gradient, step);
    }

    double change(std::int64_t slot, double gradient, double eta, double t) {
        return change(slot, gradient, at(eta, t));
    }

    Optimizer kind() const { return rule_.kind; }

    // The state, to read and write between training runs.
    OptimizerMoments moments() const { return OptimizerMoments{first_, second_}; }
    // (sizes as moments() gives them; checked by the caller)
    void set_moments(const OptimizerMoments& moments) {
        first_ = moments.first;
        second_ = moments.second;
    }

  private:
    double stateful_change(std::int64_t slot, double gradient, const OptimizerStep& step) {
        const auto j = static_cast<std::size_t>(slot);
        double first = rule_.uses_first() ? StateAccess::load(first_[j]) : 0.0;
        double second = rule_.uses_second() ? StateAccess::load(second_[j]) : 0.0;
        const double change = optimizer_change(rule_, gradient, step, first, second);
        if (rule_.uses_first()) StateAccess::store(first_[j], first);
        if (rule_.uses_second()) StateAccess::store(second_[j], second);
        return change;
    }

    OptimizerRule rule_;
    std::vector<double> first_;   // velocity (momentum, nesterov) or Adam's first moment
    std::vector<double> second_;  // sum (adagrad) or moving average (rmsprop, adam) of squared gradients
};

}  // namespace hogwild
