// The data and the model of matrix factorization: ratings as (user, item,
// value) triples, and the factor model they train, as views of arrays its
// caller owns (NumPy's, in the Python package).
//
//   predicted rating(u, i) = global_mean + user_bias[u] + item_bias[i]
//                            + <user_factors[u, :], item_factors[i, :]>
//
// (Koren, Bell & Volinsky, "Matrix factorization techniques for recommender
// systems", IEEE Computer 2009; the biased "SVD" of Funk's Netflix prize
// write-up and of Surprise.)
#pragma once

#include <cstdint>

namespace hogwild::mf {

// One observed rating; users and items are 0-based dense indices.
struct Rating {
    std::int32_t user;
    std::int32_t item;
    float value;
};

struct FactorModel {
    float* user_factors = nullptr;  // n_users x n_factors, row-major
    float* item_factors = nullptr;  // n_items x n_factors, row-major
    float* user_bias = nullptr;     // n_users
    float* item_bias = nullptr;     // n_items
    // AdaGrad's sums of squared gradients, one per user and per item row
    // (null with plain SGD; see rating_update.hpp)
    float* user_gradient_sum = nullptr;
    float* item_gradient_sum = nullptr;
    std::int64_t n_users = 0;
    std::int64_t n_items = 0;
    int n_factors = 0;
    float global_mean = 0.0f;
    bool biased = true;  // false: biases stay 0 and the mean is not added

    float* user_row(std::int64_t user) const { return user_factors + user * n_factors; }
    float* item_row(std::int64_t item) const { return item_factors + item * n_factors; }
};

// The constants of one epoch's updates.
struct EpochStep {
    float eta = 0.01f;       // step of the factors
    float eta_bias = 0.01f;  // step of the biases
    float alpha = 0.05f;     // L2 on the factors
    float alpha_bias = 0.0f; // L2 on the biases
    bool adagrad = false;    // row-wise AdaGrad (Chin et al. 2015) instead of plain SGD
};

}  // namespace hogwild::mf
