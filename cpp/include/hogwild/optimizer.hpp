// Per-coordinate optimizers: how the gradient of one coordinate becomes the
// change of its weight.
//
//   sgd       -eta g
//   momentum  v = mu v + g;                           -eta v
//   nesterov  v = mu v + g;                           -eta (g + mu v)
//   adagrad   s = s + g^2;                            -eta g / (sqrt(s) + eps)
//   rmsprop   s = beta2 s + (1 - beta2) g^2;          -eta g / (sqrt(s) + eps)
//   adam      m = beta1 m + (1 - beta1) g, s = beta2 s + (1 - beta2) g^2;
//             -eta (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps)
//
// (momentum and nesterov as PyTorch writes them, without dampening.)
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

namespace hogwild {

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

// What a step needs besides the gradient, computed once per step (not per
// coordinate): the step size and Adam's bias corrections at step t.
struct OptimizerStep {
    double eta = 0.0;
    double first_moment_correction = 1.0;   // 1 / (1 - beta1^t)
    double second_moment_correction = 1.0;  // 1 / (1 - beta2^t)
};

template <class StateAccess = PrivateOptimizerState>
class CoordinateOptimizer {
  public:
    // `n_slots` coordinates, usually n_features + 1: the last one is the intercept's.
    CoordinateOptimizer(const TrainConfig& config, std::int64_t n_slots)
        : kind_(config.optimizer), momentum_(config.momentum), beta1_(config.beta1), beta2_(config.beta2),
          eps_(config.optimizer_eps) {
        const auto n = static_cast<std::size_t>(n_slots);
        if (uses_first_moment()) first_.assign(n, 0.0);
        if (uses_second_moment()) second_.assign(n, 0.0);
    }

    // The per-step quantities at optimizer step t (t counts from 1).
    OptimizerStep at(double eta, double t) const {
        OptimizerStep step;
        step.eta = eta;
        if (kind_ == Optimizer::adam) {
            step.first_moment_correction = 1.0 / (1.0 - std::pow(beta1_, t));
            step.second_moment_correction = 1.0 / (1.0 - std::pow(beta2_, t));
        }
        return step;
    }

    // The change of coordinate `slot`'s weight for its gradient, updating
    // the coordinate's state.
    double change(std::int64_t slot, double gradient, const OptimizerStep& step) {
        const auto j = static_cast<std::size_t>(slot);
        switch (kind_) {
            case Optimizer::sgd: return -step.eta * gradient;
            case Optimizer::momentum:
            case Optimizer::nesterov: {
                const double velocity = momentum_ * StateAccess::load(first_[j]) + gradient;
                StateAccess::store(first_[j], velocity);
                return kind_ == Optimizer::momentum ? -step.eta * velocity
                                                    : -step.eta * (gradient + momentum_ * velocity);
            }
            case Optimizer::adagrad: {
                const double squares = StateAccess::load(second_[j]) + gradient * gradient;
                StateAccess::store(second_[j], squares);
                return -step.eta * gradient / (std::sqrt(squares) + eps_);
            }
            case Optimizer::rmsprop: {
                const double squares = beta2_ * StateAccess::load(second_[j]) + (1.0 - beta2_) * gradient * gradient;
                StateAccess::store(second_[j], squares);
                return -step.eta * gradient / (std::sqrt(squares) + eps_);
            }
            case Optimizer::adam: {
                const double mean = beta1_ * StateAccess::load(first_[j]) + (1.0 - beta1_) * gradient;
                const double squares = beta2_ * StateAccess::load(second_[j]) + (1.0 - beta2_) * gradient * gradient;
                StateAccess::store(first_[j], mean);
                StateAccess::store(second_[j], squares);
                return -step.eta * (mean * step.first_moment_correction) /
                       (std::sqrt(squares * step.second_moment_correction) + eps_);
            }
        }
        return -step.eta * gradient;
    }

    double change(std::int64_t slot, double gradient, double eta, double t) {
        return change(slot, gradient, at(eta, t));
    }

    Optimizer kind() const { return kind_; }

  private:
    bool uses_first_moment() const {
        return kind_ == Optimizer::momentum || kind_ == Optimizer::nesterov || kind_ == Optimizer::adam;
    }
    bool uses_second_moment() const {
        return kind_ == Optimizer::adagrad || kind_ == Optimizer::rmsprop || kind_ == Optimizer::adam;
    }

    Optimizer kind_;
    double momentum_, beta1_, beta2_, eps_;
    std::vector<double> first_;   // velocity (momentum, nesterov) or Adam's first moment
    std::vector<double> second_;  // sum (adagrad) or moving average (rmsprop, adam) of squared gradients
};

}  // namespace hogwild
