// loss.hpp: every loss's derivative against a central finite difference of
// its value at several points away from its kinks, a few exact values, and
// the continuity of the log-loss's overflow-guarded branches.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>

#include "hogwild/math/loss.hpp"

using namespace hogwild;

namespace {

const char* name(Loss kind) {
    switch (kind) {
        case Loss::hinge: return "hinge";
        case Loss::log_loss: return "log_loss";
        case Loss::modified_huber: return "modified_huber";
        case Loss::squared_hinge: return "squared_hinge";
        case Loss::perceptron: return "perceptron";
        case Loss::squared_error: return "squared_error";
        case Loss::huber: return "huber";
        case Loss::epsilon_insensitive: return "epsilon_insensitive";
        case Loss::squared_epsilon_insensitive: return "squared_epsilon_insensitive";
    }
    return "?";
}

LossFunction make(Loss kind, double epsilon = 0.3) {
    LossFunction loss;
    loss.kind = kind;
    loss.epsilon = epsilon;
    return loss;
}

void check_derivative(const LossFunction& loss, double p, double y) {
    CAPTURE(name(loss.kind));
    CAPTURE(p);
    CAPTURE(y);
    const double h = 1e-6;
    const double numeric = (loss.value(p + h, y) - loss.value(p - h, y)) / (2.0 * h);
    CHECK(loss.derivative(p, y) == doctest::Approx(numeric).epsilon(1e-7));
}

}  // namespace

TEST_CASE("classification losses: derivative equals the central difference of the value") {
    // points chosen away from every kink (p y in {-1, 0, 1})
    const double points[] = {-3.1, -1.7, -0.4, 0.35, 0.9, 1.6, 2.9};
    for (const Loss kind : {Loss::hinge, Loss::log_loss, Loss::modified_huber, Loss::squared_hinge, Loss::perceptron}) {
        const LossFunction loss = make(kind);
        CHECK(loss.is_classification());
        for (const double y : {-1.0, 1.0})
            for (const double p : points) check_derivative(loss, p, y);
    }
}

TEST_CASE("log_loss: derivative against the central difference in the overflow-guarded ranges") {
    const LossFunction loss = make(Loss::log_loss);
    for (const double y : {-1.0, 1.0})
        for (const double p : {-60.0, -40.0, -20.0, -5.0, 10.0, 25.0, 35.0, 60.0}) check_derivative(loss, p, y);
}

TEST_CASE("regression losses: derivative equals the central difference of the value") {
    // residuals p - y chosen away from the kinks at |p - y| = epsilon (0.3)
    for (const Loss kind :
         {Loss::squared_error, Loss::huber, Loss::epsilon_insensitive, Loss::squared_epsilon_insensitive}) {
        const LossFunction loss = make(kind, 0.3);
        CHECK_FALSE(loss.is_classification());
        for (const double y : {-1.3, 0.0, 2.5})
            for (const double r : {-4.0, -0.7, -0.2, 0.05, 0.25, 0.45, 3.0}) check_derivative(loss, y + r, y);
    }
}

TEST_CASE("loss values at hand-computed points") {
    CHECK(make(Loss::hinge).value(0.25, 1.0) == 0.75);
    CHECK(make(Loss::hinge).value(1.5, 1.0) == 0.0);
    CHECK(make(Loss::perceptron).value(0.25, -1.0) == 0.25);
    CHECK(make(Loss::perceptron).value(0.25, 1.0) == 0.0);
    CHECK(make(Loss::squared_hinge).value(-1.0, 1.0) == 4.0);
    CHECK(make(Loss::modified_huber).value(0.5, 1.0) == 0.25);
    CHECK(make(Loss::modified_huber).value(-3.0, 1.0) == 12.0);
    CHECK(make(Loss::squared_error).value(3.0, 1.0) == 2.0);
    CHECK(make(Loss::huber, 0.5).value(3.0, 1.0) == doctest::Approx(0.5 * 2.0 - 0.125).epsilon(1e-15));
    CHECK(make(Loss::huber, 0.5).value(1.25, 1.0) == doctest::Approx(0.5 * 0.0625).epsilon(1e-15));
    CHECK(make(Loss::epsilon_insensitive, 0.5).value(3.0, 1.0) == 1.5);
    CHECK(make(Loss::epsilon_insensitive, 0.5).value(1.25, 1.0) == 0.0);
    CHECK(make(Loss::squared_epsilon_insensitive, 0.5).value(-2.0, 1.0) == 6.25);
    // log loss on labels {-1, +1}: log(1 + exp(-y p))
    const LossFunction log_loss = make(Loss::log_loss);
    CHECK(log_loss.value(0.0, 1.0) == doctest::Approx(std::log(2.0)).epsilon(1e-15));
    CHECK(log_loss.value(0.0, -1.0) == doctest::Approx(std::log(2.0)).epsilon(1e-15));
    // relative comparisons (scale 0) where the values are tiny, except for
    // y = +1 at large p: scikit-learn's formula log(1 + e^p) - p cancels there
    // (kept for parity), so it is exact only to ~1e-14 absolute
    for (const double p : {-50.0, -40.0, -30.0, -3.0, 0.7, 5.0, 20.0, 30.0, 40.0}) {
        CAPTURE(p);
        CHECK(log_loss.value(p, 1.0) == doctest::Approx(std::log1p(std::exp(-p))).epsilon(1e-14));
        CHECK(log_loss.value(p, -1.0) == doctest::Approx(std::log1p(std::exp(p))).epsilon(1e-12).scale(0.0));
        // derivative expit(p) - y01: -1 / (1 + e^p) for y = +1, 1 / (1 + e^-p) for y = -1
        CHECK(log_loss.derivative(p, 1.0) == doctest::Approx(-1.0 / (1.0 + std::exp(p))).epsilon(1e-12).scale(0.0));
        CHECK(log_loss.derivative(p, -1.0) == doctest::Approx(1.0 / (1.0 + std::exp(-p))).epsilon(1e-12).scale(0.0));
    }
}

TEST_CASE("log_loss value is continuous across its overflow-guard branch points") {
    const LossFunction loss = make(Loss::log_loss);
    for (const double x : {-37.0, -2.0, 18.0, 33.3}) {
        CAPTURE(x);
        const double below = loss.value(x - 1e-9, -1.0), above = loss.value(x + 1e-9, -1.0);
        CHECK(above == doctest::Approx(below).epsilon(1e-8));
        CHECK(above >= below);  // log(1 + e^x) increases
    }
    // the derivative's own branch point at p = -37
    CHECK(loss.derivative(-37.0 - 1e-9, 1.0) == doctest::Approx(loss.derivative(-37.0 + 1e-9, 1.0)).epsilon(1e-12));
}

TEST_CASE("derivatives at the flat and linear parts") {
    CHECK(make(Loss::hinge).derivative(2.0, 1.0) == 0.0);
    CHECK(make(Loss::hinge).derivative(0.5, -1.0) == 1.0);
    CHECK(make(Loss::modified_huber).derivative(-5.0, 1.0) == -4.0);
    CHECK(make(Loss::huber, 0.5).derivative(10.0, 0.0) == 0.5);
    CHECK(make(Loss::huber, 0.5).derivative(-10.0, 0.0) == -0.5);
    CHECK(make(Loss::epsilon_insensitive, 0.5).derivative(10.0, 0.0) == 1.0);
    CHECK(make(Loss::epsilon_insensitive, 0.5).derivative(0.2, 0.0) == 0.0);
}

TEST_CASE("value_and_derivative: the derivative bit for bit, the value within 4 ulps of max(1, value(), p)") {
    // the log loss shares one exponential between the two and leaves its
    // log to the caller (loss.hpp); every other loss calls value and
    // derivative (log_argument 1)
    for (const Loss kind : {Loss::hinge, Loss::log_loss, Loss::modified_huber, Loss::squared_hinge, Loss::perceptron,
                            Loss::squared_error, Loss::huber, Loss::epsilon_insensitive,
                            Loss::squared_epsilon_insensitive}) {
        const LossFunction loss = make(kind);
        for (const double y : {-1.0, 1.0, 0.25})
            for (const double p : {-800.0, -40.0, -37.0, -36.9, -20.0, -2.5, -2.0, -0.3, -1e-12, 0.0, 1e-12, 0.3, 2.0,
                                   17.9, 18.0, 18.1, 33.0, 33.4, 40.0, 800.0}) {
                CAPTURE(name(kind));
                CAPTURE(p);
                CAPTURE(y);
                const LossAndDerivative at = loss.value_and_derivative(p, y);
                CHECK(at.derivative == loss.derivative(p, y));
                const double value = loss.value(p, y);
                // (value(p, y) itself rounds at the scale of p: log(1 + exp(p)) - p
                // for y = 1 and p = 33 is exp(-33) + rounding of 33's ulps)
                CHECK(std::fabs(at.loss.value() - value) <=
                      4.0 * std::numeric_limits<double>::epsilon() * std::max({1.0, std::fabs(value), std::fabs(p)}));
                if (kind != Loss::log_loss) CHECK(at.loss.log_argument == 1.0);
                CHECK(at.loss.log_argument >= 1.0);
                CHECK(at.loss.log_argument <= 2.0);
            }
    }
}

TEST_CASE("LossSum: the sum of the rows' values, one log per 256 rows") {
    // 10,000 rows of the log loss at margins across every branch: the
    // product's logs against the sum of value(p, y), to a few ulps of the sum
    const LossFunction loss = make(Loss::log_loss);
    LossSum sum;
    double expected = 0.0;
    for (int i = 0; i < 10000; ++i) {
        const double p = -40.0 + 80.0 * ((i * 7919) % 10000) / 10000.0;
        const double y = i % 3 == 0 ? -1.0 : 1.0;
        sum.add(loss.value_and_derivative(p, y).loss);
        expected += loss.value(p, y);
    }
    CHECK(sum.total() == doctest::Approx(expected).epsilon(1e-13));
    LossSum hinge_sum;
    const LossFunction hinge = make(Loss::hinge);
    for (const double p : {-2.0, 0.5, 3.0}) hinge_sum.add({hinge.value(p, 1.0), 1.0});
    CHECK(hinge_sum.total() == 3.0 + 0.5 + 0.0);
}
