// math/update_rule.hpp: the one per-coordinate rule. The L2 proximal map
// against its definition (argmin of 1/2 (x - v)^2 + the penalty), the
// cumulative L1 pull and its books, and the optimizers' gradient with the
// penalty's subgradient.
#include <doctest/doctest.h>

#include <cmath>

#include "hogwild/config.hpp"
#include "hogwild/linear/penalty.hpp"
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
    config.objective.penalty = Penalty::elasticnet;
    config.objective.alpha = alpha;
    config.objective.l1_ratio = l1_ratio;
    return config;
}

}  // namespace

TEST_CASE("penalty_strength: alpha l1_ratio and alpha (1 - l1_ratio), nothing without a penalty") {
    const PenaltyStrength s = penalty_strength(elastic_net(0.5, 0.2));
    CHECK(s.l1 == doctest::Approx(0.1));
    CHECK(s.l2 == doctest::Approx(0.4));
    TrainConfig l1 = elastic_net(0.5, 0.2);
    l1.objective.penalty = Penalty::l1;
    CHECK(penalty_strength(l1).l1 == 0.5);
    CHECK(penalty_strength(l1).l2 == 0.0);
    TrainConfig none = elastic_net(0.5, 0.2);
    none.objective.penalty = Penalty::none;
    CHECK_FALSE(penalty_strength(none).any());
}

TEST_CASE("l2_prox is the L2 penalty's proximal operator") {
    for (const double v : {-2.0, -0.3, -0.05, 0.0, 0.04, 0.7, 3.0}) {
        for (const double weight : {0.5, 1.0, 3.0}) {
            const double l2_step = 0.8;  // eta alpha (1 - l1_ratio)
            const double expected = prox_by_search(v, 0.0, l2_step * weight);
            CHECK(l2_prox(v, l2_step, weight) == doctest::Approx(expected).epsilon(1e-4).scale(1.0));
        }
    }
}

TEST_CASE("l2_prox: no overshoot however strong") {
    // a plain gradient step w - eta alpha w with eta alpha = 10 would give -9 w
    CHECK(l2_prox(1.0, 10.0, 1.0) == doctest::Approx(1.0 / 11.0));
    CHECK(l2_prox(-1.0, 10.0, 1.0) < 0.0);
    CHECK(l2_prox(0.7, 0.0, 3.0) == 0.7);
}

TEST_CASE("sgd_coordinate: the loss step, then the L2 prox") {
    CHECK(sgd_coordinate(1.0, -0.25, 0.3, 2.0) == doctest::Approx(0.75 / 1.6));
}

TEST_CASE("cumulative_l1: pulled by the penalty owed, never across zero, the pull booked") {
    double q = 0.0;
    CHECK(cumulative_l1(0.5, 0.2, q) == doctest::Approx(0.3));
    CHECK(q == doctest::Approx(-0.2));
    // u grows by 0.1: only the new 0.1 is owed
    CHECK(cumulative_l1(0.3, 0.3, q) == doctest::Approx(0.2));
    CHECK(q == doctest::Approx(-0.3));
    // owed 0.5 against a weight of 0.1: exactly zero, and only 0.1 booked
    CHECK(cumulative_l1(0.1, 0.8, q) == 0.0);
    CHECK(q == doctest::Approx(-0.4));
    // a negative weight is pulled up by u - q: what it has not received upward
    double r = 0.0;
    CHECK(cumulative_l1(-1.0, 0.25, r) == doctest::Approx(-0.75));
    CHECK(r == doctest::Approx(0.25));
    CHECK(cumulative_l1(0.0, 5.0, r) == 0.0);
    CHECK(r == doctest::Approx(0.25));
}

TEST_CASE("sgd_coordinate_cumulative: loss step, L2 prox, then the cumulative pull") {
    double q = -0.05;
    CHECK(sgd_coordinate_cumulative(1.0, -0.2, 0.25, 2.0, 0.15, q) == doctest::Approx(0.8 / 1.5 - 0.1));
    CHECK(q == doctest::Approx(-0.15));
    double none = 0.0;
    CHECK(sgd_coordinate_cumulative(1.0, -0.2, 0.25, 2.0, 0.0, none) == doctest::Approx(0.8 / 1.5));
    CHECK(none == 0.0);
}

TEST_CASE("regularized_gradient: the loss gradient plus k times the penalty's subgradient") {
    const PenaltyStrength strength{0.3, 0.7};
    CHECK(regularized_gradient(2.0, 0.5, strength, 1.5) == doctest::Approx(0.5 + 1.5 * (0.7 * 2.0 + 0.3)));
    CHECK(regularized_gradient(-2.0, 0.5, strength, 1.0) == doctest::Approx(0.5 + (-1.4 - 0.3)));
    CHECK(regularized_gradient(0.0, 0.5, strength, 1.0) == 0.5);  // the subgradient 0 at 0
}

TEST_CASE("example_weight: the class weight of the label's sign times the sample weight") {
    TrainConfig config;
    config.objective.weight_pos = 3.0;
    config.objective.weight_neg = 0.5;
    CHECK(example_weight(config, 1.0, 2.0) == 6.0);
    CHECK(example_weight(config, -1.0, 2.0) == 1.0);
    CHECK(example_weight(config, 0.0, 2.0) == 1.0);
}
