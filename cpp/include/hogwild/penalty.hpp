// The regularization term alpha * ((1 - l1_ratio)/2 * ||w||^2 + l1_ratio * ||w||_1)
// and the effective l1_ratio of each penalty.
#pragma once

#include <cmath>
#include <cstdint>

#include "hogwild/config.hpp"

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

}  // namespace hogwild
