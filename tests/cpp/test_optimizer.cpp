// optimizer.hpp: each optimizer's change() against the formula in the
// header's comment, written out here independently, over several steps with
// a varying step size; and the lazy state (a coordinate a step does not
// touch keeps its state, while Adam's bias correction follows the global t).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/math/optimizer_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"

using namespace hogwild;

namespace {

// Non-default hyper-parameters, all different, so that a swapped one shows.
constexpr double kMomentum = 0.8;
constexpr double kBeta1 = 0.85;
constexpr double kBeta2 = 0.97;
constexpr double kEps = 1e-3;  // large enough that where it is added matters

TrainConfig config_for(Optimizer kind) {
    TrainConfig config;
    config.step.optimizer = kind;
    config.step.momentum = kMomentum;
    config.step.beta1 = kBeta1;
    config.step.beta2 = kBeta2;
    config.step.optimizer_eps = kEps;
    return config;
}

// The header comment's formulas for one coordinate, state kept here.
struct Reference {
    Optimizer kind;
    double v = 0.0, m = 0.0, s = 0.0;

    double change(double g, double eta, double t) {
        switch (kind) {
            case Optimizer::sgd: return -eta * g;
            case Optimizer::momentum: v = kMomentum * v + g; return -eta * v;
            case Optimizer::nesterov: v = kMomentum * v + g; return -eta * (g + kMomentum * v);
            case Optimizer::adagrad: s = s + g * g; return -eta * g / (std::sqrt(s) + kEps);
            case Optimizer::rmsprop: s = kBeta2 * s + (1 - kBeta2) * g * g; return -eta * g / (std::sqrt(s) + kEps);
            case Optimizer::adam: {
                m = kBeta1 * m + (1 - kBeta1) * g;
                s = kBeta2 * s + (1 - kBeta2) * g * g;
                const double m_hat = m / (1 - std::pow(kBeta1, t));
                const double s_hat = s / (1 - std::pow(kBeta2, t));
                return -eta * m_hat / (std::sqrt(s_hat) + kEps);
            }
        }
        return 0.0;
    }
};

const Optimizer kAll[] = {Optimizer::sgd,     Optimizer::momentum, Optimizer::nesterov,
                          Optimizer::adagrad, Optimizer::rmsprop,  Optimizer::adam};

const char* name(Optimizer kind) {
    switch (kind) {
        case Optimizer::sgd: return "sgd";
        case Optimizer::momentum: return "momentum";
        case Optimizer::nesterov: return "nesterov";
        case Optimizer::adagrad: return "adagrad";
        case Optimizer::rmsprop: return "rmsprop";
        case Optimizer::adam: return "adam";
    }
    return "?";
}

const double kGradients[] = {0.5, -1.25, 2.0, 0.75, -0.3, 0.0, 1.5};
const double kEtas[] = {0.1, 0.1, 0.05, 0.2, 0.2, 0.01, 0.3};

}  // namespace

TEST_CASE("each optimizer's change follows its formula over several steps") {
    for (const Optimizer kind : kAll) {
        CAPTURE(name(kind));
        CoordinateOptimizer<> optimizer(config_for(kind), 3);
        Reference reference{kind};
        for (int step = 0; step < 7; ++step) {
            CAPTURE(step);
            const double t = step + 1;
            const double expected = reference.change(kGradients[step], kEtas[step], t);
            const double got = optimizer.change(1, kGradients[step], kEtas[step], t);
            CHECK(got == doctest::Approx(expected).epsilon(1e-13));
        }
    }
}

TEST_CASE("the shared-state optimizer computes the same changes as the private one") {
    for (const Optimizer kind : kAll) {
        CAPTURE(name(kind));
        CoordinateOptimizer<> plain(config_for(kind), 2);
        CoordinateOptimizer<RacySharedOptimizerState> shared(config_for(kind), 2);
        for (int step = 0; step < 7; ++step)
            CHECK(shared.change(0, kGradients[step], kEtas[step], step + 1.0) ==
                  plain.change(0, kGradients[step], kEtas[step], step + 1.0));
    }
}

TEST_CASE("Adam's per-step bias corrections are 1 / (1 - beta^t)") {
    CoordinateOptimizer<> adam(config_for(Optimizer::adam), 1);
    for (const double t : {1.0, 2.0, 5.0, 100.0}) {
        const OptimizerStep step = adam.at(0.25, t);
        CHECK(step.eta == 0.25);
        CHECK(step.first_moment_correction == doctest::Approx(1.0 / (1.0 - std::pow(kBeta1, t))).epsilon(1e-14));
        CHECK(step.second_moment_correction == doctest::Approx(1.0 / (1.0 - std::pow(kBeta2, t))).epsilon(1e-14));
    }
    // first step: the corrected moments are g and g^2, so the change is -eta g / (|g| + eps)
    CoordinateOptimizer<> fresh(config_for(Optimizer::adam), 1);
    CHECK(fresh.change(0, 2.0, 0.1, 1.0) == doctest::Approx(-0.1 * 2.0 / (2.0 + kEps)).epsilon(1e-13));
    // the other optimizers need no correction
    CoordinateOptimizer<> rmsprop(config_for(Optimizer::rmsprop), 1);
    CHECK(rmsprop.at(0.25, 3.0).first_moment_correction == 1.0);
    CHECK(rmsprop.at(0.25, 3.0).second_moment_correction == 1.0);
}

TEST_CASE("lazy state: a coordinate keeps its state through the steps that do not touch it") {
    // Coordinate 0 is touched at every step, coordinate 1 only at steps 1 and
    // 5, coordinate 2 first at step 6. Untouched, a velocity does not decay
    // and moments stay as they were; Adam's correction uses the global t.
    const int touches_1[] = {1, 5};
    for (const Optimizer kind : kAll) {
        CAPTURE(name(kind));
        CoordinateOptimizer<> optimizer(config_for(kind), 3);
        Reference every{kind}, sometimes{kind}, late{kind};
        for (int step = 1; step <= 7; ++step) {
            CAPTURE(step);
            const double g = kGradients[step - 1], eta = kEtas[step - 1], t = step;
            CHECK(optimizer.change(0, g, eta, t) == doctest::Approx(every.change(g, eta, t)).epsilon(1e-13));
            if (step == touches_1[0] || step == touches_1[1]) {
                const double g1 = -2.0 * g + 0.25;
                CHECK(optimizer.change(1, g1, eta, t) == doctest::Approx(sometimes.change(g1, eta, t)).epsilon(1e-13));
            }
            if (step >= 6) {
                const double g2 = 3.0 - g;
                CHECK(optimizer.change(2, g2, eta, t) == doctest::Approx(late.change(g2, eta, t)).epsilon(1e-13));
            }
        }
    }
    // the same, spelled out for momentum: touched at steps 1 and 5 with g = 1,
    // the velocity at step 5 is mu * 1 + 1, not mu^4 * 1 + 1
    CoordinateOptimizer<> momentum(config_for(Optimizer::momentum), 2);
    CHECK(momentum.change(1, 1.0, 1.0, 1.0) == -1.0);
    for (int step = 2; step <= 4; ++step) momentum.change(0, 1.0, 1.0, step);
    CHECK(momentum.change(1, 1.0, 1.0, 5.0) == doctest::Approx(-(kMomentum + 1.0)).epsilon(1e-15));
}

TEST_CASE("Adam's change stays within eta x its ratio bound, which moments updated together never reach") {
    OptimizerRule rule;
    rule.kind = Optimizer::adam;
    rule.beta1 = kBeta1;
    rule.beta2 = kBeta2;
    rule.eps = 0.0;  // (the ratio itself, without eps's damping)
    // the bound: (1 - beta1) / sqrt((1 - beta2) (1 - beta1^2 / beta2)) times the corrections' ratio
    const double bound_uncorrected = (1 - kBeta1) / std::sqrt((1 - kBeta2) * (1 - kBeta1 * kBeta1 / kBeta2));
    for (const double t : {1.0, 3.0, 50.0, 1e6}) {
        const OptimizerStep step = optimizer_step(rule, 1.0, t);
        CHECK(step.adam_ratio_bound ==
              doctest::Approx(bound_uncorrected * (1 - std::pow(kBeta2, t) > 0 ? std::sqrt(1 - std::pow(kBeta2, t)) : 1.0) /
                              (1 - std::pow(kBeta1, t)))
                  .epsilon(1e-12));
    }
    // consistent moments, lazily touched, gradients of every size and sign
    // (and the Cauchy-Schwarz equality's shape, gradients growing as
    // (beta2 / beta1)^k, which come to the bound): the changes are the
    // unbounded formula's
    std::mt19937_64 random(11);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    double closest = 0.0;
    for (int run = 0; run < 200; ++run) {
        double first = 0.0, second = 0.0;
        for (int k = 0; k < 300; ++k) {
            const double t = 1.0 + k * (run % 7) + k;
            const double g = run % 5 == 0 ? std::pow(kBeta1 / kBeta2, -k) : std::pow(10.0, 6.0 * unit(random)) * unit(random);
            const OptimizerStep step = optimizer_step(rule, 1.0, t);
            const double m = kBeta1 * first + (1 - kBeta1) * g, s = kBeta2 * second + (1 - kBeta2) * g * g;
            const double unbounded = -(m * step.first_moment_correction) / std::sqrt(s * step.second_moment_correction);
            const double change = optimizer_change(rule, g, step, first, second);
            REQUIRE(change == doctest::Approx(unbounded).epsilon(1e-14));  // (growing gradients reach the bound to rounding)
            closest = std::max(closest, std::abs(change) / step.adam_ratio_bound);
        }
    }
    CHECK(closest < 1.0 + 1e-14);
    CHECK(closest > 0.99);  // (the bound is tight)
    // moments out of step, as racing threads can leave them (s written over
    // by another thread's, computed without this gradient): the change is
    // held at the bound, where the formula gave eta x 1e6
    OptimizerRule with_eps = rule;
    with_eps.eps = 1e-8;
    const OptimizerStep late = optimizer_step(with_eps, 0.001, 1e6);
    double first = 0.1, second = 1e-15;
    const double held = optimizer_change(with_eps, 0.0, late, first, second);
    CHECK(held == doctest::Approx(-0.001 * late.adam_ratio_bound).epsilon(1e-12));
    // a NaN stays a NaN (the solvers' divergence checks read it)
    first = 0.0, second = 0.0;
    CHECK(std::isnan(optimizer_change(with_eps, std::nan(""), late, first, second)));
}
