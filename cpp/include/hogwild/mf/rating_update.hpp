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
// Sums over factors run in fixed lanes, then add the lanes in a fixed
// order: the compiler can use SIMD under strict IEEE arithmetic (no
// reassociation allowed) and the result is the same on every instruction set. The dot product keeps 32 lanes (four
// AVX2 registers) so that its additions do not wait on one another.
#pragma once

#include <cmath>

#include "hogwild/core/platform.hpp"
#include "hogwild/mf/factor_model.hpp"

namespace hogwild::mf {

inline constexpr int kLanes = 8;

HOGWILD_HD inline float sum_lanes(const float (&lanes)[kLanes]) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

inline constexpr int kDotLanes = 4 * kLanes;

#if defined(__GNUC__) && !defined(__CUDACC__)
// On the host, GCC's and Clang's vector types spell the lanes out (eight
// floats: one AVX2 register, or two SSE ones): the same arithmetic as the
// portable loops below, without relying on the vectorizer to find it.
#define HOGWILD_MF_VECTOR_LANES 1
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
// (the 32-byte vectors live inside inline functions and never cross a call,
// so GCC's note that their calling convention differs without AVX is moot)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
inline Lanes load_lanes(const float* x) {
    Lanes v;
    __builtin_memcpy(&v, x, sizeof(v));
    return v;
}
inline void store_lanes(float* x, const Lanes& v) { __builtin_memcpy(x, &v, sizeof(v)); }
#endif

// <p, q> over k factors: 32 running lanes (four independent chains of
// additions), folded to 8, then summed in a fixed order, then the tail.
HOGWILD_HD inline float dot(const float* p, const float* q, int k) {
    int f = 0;
#if HOGWILD_MF_VECTOR_LANES
    Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (; f + kDotLanes <= k; f += kDotLanes) {
        a0 += load_lanes(p + f) * load_lanes(q + f);
        a1 += load_lanes(p + f + kLanes) * load_lanes(q + f + kLanes);
        a2 += load_lanes(p + f + 2 * kLanes) * load_lanes(q + f + 2 * kLanes);
        a3 += load_lanes(p + f + 3 * kLanes) * load_lanes(q + f + 3 * kLanes);
    }
    for (; f + kLanes <= k; f += kLanes) a0 += load_lanes(p + f) * load_lanes(q + f);
    const Lanes folded = (a0 + a1) + (a2 + a3);
    float lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = folded[l];
#else
    float wide[kDotLanes] = {};
    for (; f + kDotLanes <= k; f += kDotLanes)
        for (int l = 0; l < kDotLanes; ++l) wide[l] += p[f + l] * q[f + l];
    for (; f + kLanes <= k; f += kLanes)
        for (int l = 0; l < kLanes; ++l) wide[l] += p[f + l] * q[f + l];
    float lanes[kLanes];
    for (int l = 0; l < kLanes; ++l)
        lanes[l] = (wide[l] + wide[l + kLanes]) + (wide[l + 2 * kLanes] + wide[l + 3 * kLanes]);
#endif
    float tail = 0.0f;
    for (; f < k; ++f) tail += p[f] * q[f];
    return sum_lanes(lanes) + tail;
}

// p <- decay p + scaled_error q and q <- decay q + scaled_error p, both
// from the old values (p and q are different rows).
HOGWILD_HD inline void step_rows(float* __restrict__ p, float* __restrict__ q, float decay, float scaled_error,
                                 int k) {
    int f = 0;
#if HOGWILD_MF_VECTOR_LANES
    for (; f + kLanes <= k; f += kLanes) {
        const Lanes pf = load_lanes(p + f), qf = load_lanes(q + f);
        store_lanes(p + f, decay * pf + scaled_error * qf);
        store_lanes(q + f, decay * qf + scaled_error * pf);
    }
#endif
    for (; f < k; ++f) {
        const float pf = p[f], qf = q[f];
        p[f] = decay * pf + scaled_error * qf;
        q[f] = decay * qf + scaled_error * pf;
    }
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
    // p + eta (e q - alpha p) as (1 - eta alpha) p + (eta e) q: two products
    // and a sum per coordinate instead of four operations and a sum
    step_rows(p, q, 1.0f - step.eta * step.alpha, step.eta * error, model.n_factors);
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

#if HOGWILD_MF_VECTOR_LANES
#pragma GCC diagnostic pop
#endif

}  // namespace hogwild::mf
