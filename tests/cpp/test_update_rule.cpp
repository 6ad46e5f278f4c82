// math/update_rule.hpp: the one per-coordinate rule. The proximal map of
// the elastic net against its definition (argmin of 1/2 (x - v)^2 + the
// penalty), and the optimizers' gradient with the penalty's subgradient.
#include <doctest/doctest.h>

#include <cmath>

#include "hogwild/config.hpp"
#include "hogwild/math/update_rule.hpp"

using namespace hogwild;

namespace {

// argmin_x 1/2 (x - v)^2 + a |x| + b/2 x^2 by a fine grid search around v:
// the definition of the proximal operator, computed without its formula.
double prox_by_search(double v, double a, double b) {
    double best = 0.0, best_value = 0.5 * v * v;
    for (int k = -200000; k <= 200000; ++k) {
        const double x = v * 1.5 * k / 200000.0;
        const double value = 0.5 * (x - v) * (x - v) + a * std::fabs(x) + 0.5 * b * x * x;
        if (value < best_value) {
            best_value = value;
            best = x;
        }
    }
    return best;
}

TrainConfig elastic_net(double alpha, double l1_ratio) {
    TrainConfig config;
    config.penalty = Penalty::elasticnet;
    config.alpha = alpha;
    config.l1_ratio = l1_ratio;
    return config;
}

}  // namespace

TEST_CASE("penalty_strength: alpha l1_ratio and alpha (1 - l1_ratio), nothing without a penalty") {
    const PenaltyStrength s = penalty_strength(elastic_net(0.5, 0.2));
    CHECK(s.l1 == doctest::Approx(0.1));
    CHECK(s.l2 == doctest::Approx(0.4));
    TrainConfig l1 = elastic_net(0.5, 0.2);
    l1.penalty = Penalty::l1;
    CHECK(penalty_strength(l1).l1 == 0.5);
    CHECK(penalty_strength(l1).l2 == 0.0);
    TrainConfig none = elastic_net(0.5, 0.2);
    none.penalty = Penalty::none;
    CHECK_FALSE(penalty_strength(none).any());
}

TEST_CASE("penalty_prox is the elastic net's proximal operator") {
    for (const double v : {-2.0, -0.3, -0.05, 0.0, 0.04, 0.7, 3.0}) {
        for (const double weight : {0.5, 1.0, 3.0}) {
            const PenaltyStrength step{0.1, 0.8};  // eta alpha l1_ratio, eta alpha (1 - l1_ratio)
            const double expected = prox_by_search(v, step.l1 * weight, step.l2 * weight);
            CHECK(penalty_prox(v, step, weight) == doctest::Approx(expected).epsilon(1e-4).scale(1.0));
        }
    }
}

TEST_CASE("penalty_prox: exact zeros inside the L1 threshold, and no overshoot however strong") {
    const PenaltyStrength step{0.2, 0.0};
    CHECK(penalty_prox(0.19, step, 1.0) == 0.0);
    CHECK(penalty_prox(-0.19, step, 1.0) == 0.0);
    CHECK(penalty_prox(0.5, step, 1.0) == doctest::Approx(0.3));
    // a plain gradient step w - eta alpha w with eta alpha = 10 would give -9 w
    const PenaltyStrength strong{0.0, 10.0};
    CHECK(penalty_prox(1.0, strong, 1.0) == doctest::Approx(1.0 / 11.0));
    CHECK(penalty_prox(-1.0, strong, 1.0) < 0.0);
}

TEST_CASE("sgd_coordinate: the loss step, then the prox") {
    const PenaltyStrength step{0.05, 0.3};
    CHECK(sgd_coordinate(1.0, -0.25, step, 2.0) == doctest::Approx((0.75 - 0.1) / 1.6));
    CHECK(sgd_coordinate(0.02, 0.03, step, 2.0) == 0.0);
}

TEST_CASE("regularized_gradient: the loss gradient plus k times the penalty's subgradient") {
    const PenaltyStrength strength{0.3, 0.7};
    CHECK(regularized_gradient(2.0, 0.5, strength, 1.5) == doctest::Approx(0.5 + 1.5 * (0.7 * 2.0 + 0.3)));
    CHECK(regularized_gradient(-2.0, 0.5, strength, 1.0) == doctest::Approx(0.5 + (-1.4 - 0.3)));
    CHECK(regularized_gradient(0.0, 0.5, strength, 1.0) == 0.5);  // the subgradient 0 at 0
}

TEST_CASE("example_weight: the class weight of the label's sign times the sample weight") {
    TrainConfig config;
    config.weight_pos = 3.0;
    config.weight_neg = 0.5;
    CHECK(example_weight(config, 1.0, 2.0) == 6.0);
    CHECK(example_weight(config, -1.0, 2.0) == 1.0);
    CHECK(example_weight(config, 0.0, 2.0) == 1.0);
}
