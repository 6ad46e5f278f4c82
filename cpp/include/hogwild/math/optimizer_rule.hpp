// The per-coordinate optimizers' formulas: how one coordinate's gradient
// becomes the change of its weight, given the coordinate's state.
//
//   sgd       -eta g
//   momentum  v = mu v + g;                           -eta v
//   nesterov  v = mu v + g;                           -eta (g + mu v)
//   adagrad   s = s + g^2;                            -eta g / (sqrt(s) + eps)
//   rmsprop   s = beta2 s + (1 - beta2) g^2;          -eta g / (sqrt(s) + eps)
//   adam      m = beta1 m + (1 - beta1) g, s = beta2 s + (1 - beta2) g^2;
//             -eta (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps)
//
// (momentum and nesterov as PyTorch writes them, without dampening; adagrad
// Duchi, Hazan & Singer 2011; rmsprop Tieleman & Hinton 2012; adam Kingma &
// Ba 2015.) A coordinate's state is two numbers: `first`, the velocity
// (momentum, nesterov) or Adam's first moment, and `second`, the sum
// (adagrad) or moving average (rmsprop, adam) of squared gradients.
//
// Written once, as HOGWILD_HD functions, for the CPU solvers (optimizer.hpp
// keeps the state) and the CUDA kernels alike.
//
// Adam's change is held within eta x adam_ratio_bound, the largest that
// |m_hat| / sqrt(s_hat) reaches for any gradients at all (beta1^2 <
// beta2; by Cauchy-Schwarz, |m| <= (1 - beta1) / sqrt((1 - beta2) (1 -
// beta1^2 / beta2)) sqrt(s), times the bias corrections' ratio): a
// coordinate's m and s updated together never reach it. Threads sharing
// the state (Hogwild!-style, racy) can leave an m without the s of the
// same gradient (one thread's s written over by another's, computed from
// the s before): on a rarely seen coordinate s can then be ~1e-15 beside
// an m of 0.1, a step of eta x 1e6; async adam on a9a once ended at an
// objective of 1852 (optimum 0.32) that way.
#pragma once

#include <cmath>

#include "hogwild/core/enums.hpp"
#include "hogwild/core/platform.hpp"

namespace hogwild {

// The optimizer's constants (plain data: copyable to a device).
struct OptimizerRule {
    Optimizer kind = Optimizer::sgd;
    double momentum = 0.9;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;

    HOGWILD_HD bool uses_first() const {
        return kind == Optimizer::momentum || kind == Optimizer::nesterov || kind == Optimizer::adam;
    }
    HOGWILD_HD bool uses_second() const {
        return kind == Optimizer::adagrad || kind == Optimizer::rmsprop || kind == Optimizer::adam;
    }
};

// What a step needs besides the gradient, computed once per step (not per
// coordinate): the step size and Adam's bias corrections at step t.
struct OptimizerStep {
    double eta = 0.0;
    double first_moment_correction = 1.0;   // 1 / (1 - beta1^t)
    double second_moment_correction = 1.0;  // 1 / (1 - beta2^t)
    double adam_ratio_bound = INFINITY;     // the largest |m_hat| / sqrt(s_hat) (see above)
};

// The per-step quantities at optimizer step t (t counts from 1).
HOGWILD_HD inline OptimizerStep optimizer_step(const OptimizerRule& rule, double eta, double t) {
    OptimizerStep step;
    step.eta = eta;
    if (rule.kind == Optimizer::adam) {
        step.first_moment_correction = 1.0 / (1.0 - pow(rule.beta1, t));
        step.second_moment_correction = 1.0 / (1.0 - pow(rule.beta2, t));
        if (rule.beta1 * rule.beta1 < rule.beta2)
            step.adam_ratio_bound = (1.0 - rule.beta1) /
                                    sqrt((1.0 - rule.beta2) * (1.0 - rule.beta1 * rule.beta1 / rule.beta2)) *
                                    step.first_moment_correction / sqrt(step.second_moment_correction);
    }
    return step;
}

// The change of a coordinate's weight for its gradient; updates the
// coordinate's state (`first`, `second`: see above; unused ones untouched).
HOGWILD_HD inline double optimizer_change(const OptimizerRule& rule, double gradient, const OptimizerStep& step,
                                          double& first, double& second) {
    switch (rule.kind) {
        case Optimizer::sgd: return -step.eta * gradient;
        case Optimizer::momentum:
        case Optimizer::nesterov: {
            first = rule.momentum * first + gradient;
            return rule.kind == Optimizer::momentum ? -step.eta * first : -step.eta * (gradient + rule.momentum * first);
        }
        case Optimizer::adagrad: {
            second += gradient * gradient;
            return -step.eta * gradient / (sqrt(second) + rule.eps);
        }
        case Optimizer::rmsprop: {
            second = rule.beta2 * second + (1.0 - rule.beta2) * gradient * gradient;
            return -step.eta * gradient / (sqrt(second) + rule.eps);
        }
        case Optimizer::adam: {
            first = rule.beta1 * first + (1.0 - rule.beta1) * gradient;
            second = rule.beta2 * second + (1.0 - rule.beta2) * gradient * gradient;
            const double ratio = (first * step.first_moment_correction) / (sqrt(second * step.second_moment_correction) + rule.eps);
            const double bound = step.adam_ratio_bound;  // (compared, not fmin/fmax: a NaN stays a NaN)
            return -step.eta * (ratio > bound ? bound : ratio < -bound ? -bound : ratio);
        }
    }
    return -step.eta * gradient;
}

}  // namespace hogwild
