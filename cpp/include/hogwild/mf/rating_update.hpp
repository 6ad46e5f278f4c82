// The update rule of matrix factorization by SGD: what one rating does to
// its user's and item's factors and biases. Written once, as HOGWILD_HD
// functions, for every solver (and a future CUDA kernel).
//
// With e = rating - prediction, plain SGD on the squared error plus L2
// (Funk 2006; Koren, Bell & Volinsky 2009):
//     b_u += eta_b (e - alpha_b b_u)         b_i += eta_b (e - alpha_b b_i)
//     p_u += eta (e q_i - alpha p_u)         q_i += eta (e p_u - alpha q_i)
// (both factor updates use the old values). Row-wise AdaGrad, LIBMF's rule
// (Chin, Zhuang, Juan & Lin, "A learning-rate schedule for stochastic
// gradient methods to matrix factorization", PAKDD 2015): each user row and
// item row keeps G, the running sum of its gradients' mean squared
// coordinate (starting at 1), and steps eta / sqrt(G).
//
// Sums over factors run in eight fixed lanes, then add the lanes in a fixed
// order: the compiler can use SIMD (without -ffast-math) and the result is
// the same on every instruction set.
#pragma once

#include <cmath>

#include "hogwild/core/platform.hpp"
#include "hogwild/mf/factor_model.hpp"

namespace hogwild::mf {

inline constexpr int kLanes = 8;

HOGWILD_HD inline float sum_lanes(const float (&lanes)[kLanes]) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

HOGWILD_HD inline float dot(const float* p, const float* q, int k) {
    float lanes[kLanes] = {};
    int f = 0;
    for (; f + kLanes <= k; f += kLanes)
        for (int l = 0; l < kLanes; ++l) lanes[l] += p[f + l] * q[f + l];
    float tail = 0.0f;
    for (; f < k; ++f) tail += p[f] * q[f];
    return sum_lanes(lanes) + tail;
}

// The model's rating for a known user and item.
HOGWILD_HD inline float predict(const FactorModel& model, const float* p, float user_bias, const float* q,
                                float item_bias) {
    const float interaction = dot(p, q, model.n_factors);
    return model.biased ? model.global_mean + user_bias + item_bias + interaction : interaction;
}

// Plain SGD on one rating; p, q, the biases are the user's and item's
// (the caller's copies under Hogwild!). Returns the error before the step.
HOGWILD_HD inline float sgd_update(const FactorModel& model, const EpochStep& step, float value, float* p,
                                   float& user_bias, float* q, float& item_bias) {
    const float error = value - predict(model, p, user_bias, q, item_bias);
    if (model.biased) {
        user_bias += step.eta_bias * (error - step.alpha_bias * user_bias);
        item_bias += step.eta_bias * (error - step.alpha_bias * item_bias);
    }
    const float eta = step.eta, alpha = step.alpha;
    for (int f = 0; f < model.n_factors; ++f) {
        const float pf = p[f], qf = q[f];
        p[f] = pf + eta * (error * qf - alpha * pf);
        q[f] = qf + eta * (error * pf - alpha * qf);
    }
    return error;
}

// Row-wise AdaGrad on one rating: G_u and G_i are the rows' gradient sums.
HOGWILD_HD inline float adagrad_update(const FactorModel& model, const EpochStep& step, float value, float* p,
                                       float& user_bias, float& user_sum, float* q, float& item_bias,
                                       float& item_sum) {
    const int k = model.n_factors;
    const float error = value - predict(model, p, user_bias, q, item_bias);
    const float alpha = step.alpha;
    float user_lanes[kLanes] = {}, item_lanes[kLanes] = {};
    int f = 0;
    for (; f + kLanes <= k; f += kLanes)
        for (int l = 0; l < kLanes; ++l) {
            const float gp = alpha * p[f + l] - error * q[f + l];
            const float gq = alpha * q[f + l] - error * p[f + l];
            user_lanes[l] += gp * gp;
            item_lanes[l] += gq * gq;
        }
    float user_tail = 0.0f, item_tail = 0.0f;
    for (; f < k; ++f) {
        const float gp = alpha * p[f] - error * q[f];
        const float gq = alpha * q[f] - error * p[f];
        user_tail += gp * gp;
        item_tail += gq * gq;
    }
    const float user_scale = step.eta / sqrtf(user_sum);  // G before this rating's gradient, as LIBMF steps
    const float item_scale = step.eta / sqrtf(item_sum);
    user_sum += (sum_lanes(user_lanes) + user_tail) / static_cast<float>(k);
    item_sum += (sum_lanes(item_lanes) + item_tail) / static_cast<float>(k);
    if (model.biased) {
        const float bias_ratio = step.eta_bias / step.eta;  // the biases take the row's scale
        user_bias += bias_ratio * user_scale * (error - step.alpha_bias * user_bias);
        item_bias += bias_ratio * item_scale * (error - step.alpha_bias * item_bias);
    }
    for (f = 0; f < k; ++f) {
        const float pf = p[f], qf = q[f];
        p[f] = pf - user_scale * (alpha * pf - error * qf);
        q[f] = qf - item_scale * (alpha * qf - error * pf);
    }
    return error;
}

}  // namespace hogwild::mf
