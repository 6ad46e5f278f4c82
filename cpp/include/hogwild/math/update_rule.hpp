// The one update rule of every parallel solver, per coordinate:
//
//   plain SGD    w <- l1(l2(w + s)),  s the loss's step (-eta dloss/dp x_j, or a
//                passive-aggressive step); l2 the L2 penalty's proximal map,
//                division by 1 + eta alpha (1 - l1_ratio) k (it cannot
//                overshoot however large eta is); l1 Tsuruoka, Tsujii &
//                Ananiadou's cumulative L1 penalty (ACL 2009), as scikit-learn
//                applies it: the weight is pulled toward zero, never across,
//                by the L1 penalty it has not received yet, u - q_j, where u
//                sums eta alpha l1_ratio over every update so far and q_j what
//                feature j took. A pull left unused at zero is owed, not lost,
//                so weights the penalty outweighs end at exactly zero (every
//                solver; where the threads apply it, runtime/cumulative_l1.hpp).
//   optimizers   w <- w + change(g + k alpha ((1 - l1_ratio) w + l1_ratio sign w)),
//                the penalty's (sub)gradient added to the loss gradient g
//
// k, the penalty weight, is how many times the step applies the penalty: on
// sparse data each row regularizes the features it touches with strength
// scaled by n_train / (rows containing the feature), so that an epoch sums
// to the full penalty at O(nnz) cost (the Hogwild! paper's rule); a batch
// step applies it once per row of the batch that contains the feature,
// divided by the batch's rows.
//
// Written once, as HOGWILD_HD functions, for the CPU solvers and the CUDA
// kernels alike.
#pragma once

#include <cmath>

#include "hogwild/core/platform.hpp"

namespace hogwild {

HOGWILD_HD inline double sign_of(double w) { return w > 0.0 ? 1.0 : (w < 0.0 ? -1.0 : 0.0); }

// The penalty of one unit of penalty weight: alpha l1_ratio and alpha (1 - l1_ratio).
struct PenaltyStrength {
    double l1 = 0.0;
    double l2 = 0.0;

    HOGWILD_HD bool any() const { return l1 > 0.0 || l2 > 0.0; }
    // The strengths of a step of size eta.
    HOGWILD_HD PenaltyStrength times(double eta) const { return PenaltyStrength{l1 * eta, l2 * eta}; }
};

// The L2 penalty's proximal map at a step whose L2 strength is `l2_step`
// (eta alpha (1 - l1_ratio)), applied `penalty_weight` times.
HOGWILD_HD HOGWILD_ALWAYS_INLINE double l2_prox(double v, double l2_step, double penalty_weight) {
    return l2_step > 0.0 ? v / (1.0 + l2_step * penalty_weight) : v;
}

// Plain SGD on one coordinate without an L1 part: the loss's step, then
// the L2 prox.
HOGWILD_HD HOGWILD_ALWAYS_INLINE double sgd_coordinate(double w, double loss_step, double l2_step, double penalty_weight) {
    return l2_prox(w + loss_step, l2_step, penalty_weight);
}

// The cumulative L1 penalty: `w` pulled toward zero (never across) by the
// penalty not yet received, `owed` = u - q_j for a positive weight, u + q_j
// for a negative one; returns the new weight and adds the pull taken to q_j.
HOGWILD_HD HOGWILD_ALWAYS_INLINE double cumulative_l1(double w, double u, double& q) {
    double pulled = w;
    if (w > 0.0) {
        pulled = w - (u + q);
        if (pulled < 0.0) pulled = 0.0;
    } else if (w < 0.0) {
        pulled = w + (u - q);
        if (pulled > 0.0) pulled = 0.0;
    }
    q += pulled - w;
    return pulled;
}

// Plain SGD on one coordinate: the loss's step, the L2 prox, then the
// cumulative L1 penalty up to `u` (see above; q_j is the feature's).
HOGWILD_HD HOGWILD_ALWAYS_INLINE double sgd_coordinate_cumulative(double w, double loss_step, double l2_step, double penalty_weight,
                                                   double u, double& q) {
    const double v = l2_prox(w + loss_step, l2_step, penalty_weight);
    return u > 0.0 ? cumulative_l1(v, u, q) : v;
}

// The gradient an optimizer sees on one coordinate: the loss's gradient plus
// the penalty's (sub)gradient, applied `penalty_weight` times.
HOGWILD_HD inline double regularized_gradient(double w, double loss_gradient, const PenaltyStrength& strength,
                                              double penalty_weight) {
    return loss_gradient + penalty_weight * (strength.l2 * w + strength.l1 * sign_of(w));
}

}  // namespace hogwild
