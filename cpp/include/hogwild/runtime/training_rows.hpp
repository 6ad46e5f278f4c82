// Which rows train (the others are held out for early stopping), and the
// per-feature penalty weights that follow from them.
#pragma once

#include <cstdint>
#include <vector>

#include "hogwild/config.hpp"

namespace hogwild {

inline bool is_training_row(const Targets& targets, std::int64_t i) {
    return targets.validation_mask == nullptr || !targets.validation_mask[i];
}

inline std::int64_t count_training_rows(const Targets& targets, std::int64_t n_rows) {
    if (targets.validation_mask == nullptr) return n_rows;
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < n_rows; ++i) n += targets.validation_mask[i] ? 0 : 1;
    return n;
}

// n_train / (training rows containing the feature), 0 for absent features:
// how many times a row's step applies the penalty to a feature it touches,
// so that an epoch applies it once in all (see math/update_rule.hpp).
template <class View>
std::vector<float> regularization_scales(const View& X, const Targets& targets, std::int64_t n_train) {
    std::vector<std::uint32_t> rows(static_cast<std::size_t>(X.n_cols), 0);
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        if (!is_training_row(targets, i)) continue;
        const auto row = X.row(i);
        for (std::int64_t k = 0; k < row.size(); ++k) ++rows[static_cast<std::size_t>(row.index(k))];
    }
    std::vector<float> scales(rows.size(), 0.0f);
    for (std::size_t j = 0; j < rows.size(); ++j)
        if (rows[j] > 0) scales[j] = static_cast<float>(static_cast<double>(n_train) / rows[j]);
    return scales;
}

}  // namespace hogwild
