// penalty.hpp: alpha * ((1 - r)/2 ||w||^2 + r ||w||_1) with r the effective
// l1_ratio of each penalty, and all_finite; its (sub)gradient as the
// optimizers take it (math/update_rule.hpp's regularized_gradient).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "hogwild/config.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/linear/penalty.hpp"

using namespace hogwild;

namespace {

TrainConfig with_penalty(Penalty penalty, double alpha, double l1_ratio) {
    TrainConfig config;
    config.objective.penalty = penalty;
    config.objective.alpha = alpha;
    config.objective.l1_ratio = l1_ratio;
    return config;
}

}  // namespace

TEST_CASE("effective_l1_ratio: l2 0 - l1 1 - elasticnet its l1_ratio - none 0") {
    CHECK(effective_l1_ratio(with_penalty(Penalty::l2, 1e-4, 0.3)) == 0.0);
    CHECK(effective_l1_ratio(with_penalty(Penalty::l1, 1e-4, 0.3)) == 1.0);
    CHECK(effective_l1_ratio(with_penalty(Penalty::elasticnet, 1e-4, 0.3)) == 0.3);
    CHECK(effective_l1_ratio(with_penalty(Penalty::none, 1e-4, 0.3)) == 0.0);
}

TEST_CASE("penalty_value of each penalty on a scaled vector") {
    // w * scale = {1, -4, 0, 6}: squares 53, absolutes 11
    const double w[] = {0.5, -2.0, 0.0, 3.0};
    const double scale = 2.0, alpha = 0.01;
    CHECK(penalty_value(with_penalty(Penalty::l2, alpha, 0.25), w, 4, scale) ==
          doctest::Approx(0.01 * 0.5 * 53.0).epsilon(1e-15));
    CHECK(penalty_value(with_penalty(Penalty::l1, alpha, 0.25), w, 4, scale) ==
          doctest::Approx(0.01 * 11.0).epsilon(1e-15));
    CHECK(penalty_value(with_penalty(Penalty::elasticnet, alpha, 0.25), w, 4, scale) ==
          doctest::Approx(0.01 * (0.5 * 0.75 * 53.0 + 0.25 * 11.0)).epsilon(1e-15));
    CHECK(penalty_value(with_penalty(Penalty::none, alpha, 0.25), w, 4, scale) == 0.0);
    // default scale 1: squares 13.25, absolutes 5.5
    CHECK(penalty_value(with_penalty(Penalty::elasticnet, alpha, 0.25), w, 4) ==
          doctest::Approx(0.01 * (0.5 * 0.75 * 13.25 + 0.25 * 5.5)).epsilon(1e-15));
    CHECK(penalty_value(with_penalty(Penalty::l2, alpha, 0.25), w, 0) == 0.0);
}

// The penalty's gradient alone: regularized_gradient with no loss gradient.
static double penalty_gradient(const TrainConfig& config, double w, double scale) {
    return regularized_gradient(w, 0.0, penalty_strength(config), scale);
}

TEST_CASE("the optimizers' penalty gradient is the derivative of penalty_value (central differences)") {
    const double h = 1e-6;
    for (const Penalty penalty : {Penalty::l2, Penalty::l1, Penalty::elasticnet}) {
        const TrainConfig config = with_penalty(penalty, 0.03, 0.4);
        for (const double w : {-2.5, -0.3, 0.2, 1.7}) {
            CAPTURE(w);
            const double plus = w + h, minus = w - h;
            const double numeric = (penalty_value(config, &plus, 1) - penalty_value(config, &minus, 1)) / (2 * h);
            CHECK(penalty_gradient(config, w, 1.0) == doctest::Approx(numeric).epsilon(1e-8));
            // a feature's share `scale` scales the whole gradient
            CHECK(penalty_gradient(config, w, 2.5) == doctest::Approx(2.5 * numeric).epsilon(1e-8));
        }
    }
}

TEST_CASE("the optimizers' penalty gradient by hand, with its zero subgradient at w = 0 and none") {
    const TrainConfig elasticnet = with_penalty(Penalty::elasticnet, 0.1, 0.25);
    // 0.1 * 3 * (0.75 * -2 + 0.25 * -1)
    CHECK(penalty_gradient(elasticnet, -2.0, 3.0) == doctest::Approx(0.1 * 3.0 * (-1.5 - 0.25)).epsilon(1e-15));
    CHECK(penalty_gradient(elasticnet, 0.0, 3.0) == 0.0);
    CHECK(penalty_gradient(with_penalty(Penalty::l1, 0.1, 0.25), 0.0, 1.0) == 0.0);
    CHECK(penalty_gradient(with_penalty(Penalty::none, 0.1, 0.25), 5.0, 1.0) == 0.0);
}

TEST_CASE("all_finite") {
    const double ok[] = {0.0, -1e308, 1e-320};
    CHECK(all_finite(ok, 3));
    const double inf[] = {1.0, std::numeric_limits<double>::infinity()};
    CHECK_FALSE(all_finite(inf, 2));
    CHECK(all_finite(inf, 1));
    const double nan[] = {std::numeric_limits<double>::quiet_NaN()};
    CHECK_FALSE(all_finite(nan, 1));
}
