// The linear objective's terms: the regularization term
// alpha * ((1 - l1_ratio)/2 * ||w||^2 + l1_ratio * ||w||_1), the effective
// l1_ratio of each penalty and its strengths for the update rule, and an
// example's class and sample weight.
#pragma once

#include <cmath>
#include <cstdint>

#include "hogwild/config.hpp"
#include "hogwild/math/update_rule.hpp"

namespace hogwild {

inline double effective_l1_ratio(const TrainConfig& config) {
    switch (config.objective.penalty) {
        case Penalty::l2: return 0.0;
        case Penalty::l1: return 1.0;
        case Penalty::elasticnet: return config.objective.l1_ratio;
        case Penalty::none: return 0.0;
    }
    return 0.0;
}

inline double penalty_value(const TrainConfig& config, const double* weights, std::int64_t n, double scale = 1.0) {
    if (config.objective.penalty == Penalty::none) return 0.0;
    const double l1_ratio = effective_l1_ratio(config);
    double squares = 0.0, absolutes = 0.0;
    for (std::int64_t j = 0; j < n; ++j) {
        const double w = weights[j] * scale;
        squares += w * w;
        absolutes += std::fabs(w);
    }
    return config.objective.alpha * (0.5 * (1.0 - l1_ratio) * squares + l1_ratio * absolutes);
}

inline bool all_finite(const double* values, std::int64_t n) {
    for (std::int64_t j = 0; j < n; ++j)
        if (!std::isfinite(values[j])) return false;
    return true;
}

// The penalty's strengths per unit of penalty weight (math/update_rule.hpp).
inline PenaltyStrength penalty_strength(const TrainConfig& config) {
    if (config.objective.penalty == Penalty::none) return {};
    const double l1_ratio = config.objective.penalty == Penalty::l1           ? 1.0
                            : config.objective.penalty == Penalty::elasticnet ? config.objective.l1_ratio
                                                                    : 0.0;
    return PenaltyStrength{config.objective.alpha * l1_ratio, config.objective.alpha * (1.0 - l1_ratio)};
}

// The weight of the example's class (y > 0: positive) times its sample weight.
HOGWILD_HD inline double example_weight(const TrainConfig& config, double y, double sample_weight) {
    return (y > 0.0 ? config.objective.weight_pos : config.objective.weight_neg) * sample_weight;
}

}  // namespace hogwild
