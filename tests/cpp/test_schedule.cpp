// schedule.hpp: StepSchedule::at and epoch_rate for every learning rate, and
// update_step (gradient and passive-aggressive steps, gradient clipping).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "hogwild/config.hpp"
#include "hogwild/math/loss.hpp"
#include "hogwild/runtime/schedule.hpp"

using namespace hogwild;

namespace {

TrainConfig with_rate(LearningRate rate) {
    TrainConfig config;
    config.step.learning_rate = rate;
    config.step.eta0 = 0.5;
    config.step.power_t = 0.25;
    config.objective.alpha = 0.01;
    config.step.gamma = 0.5;
    config.step.step_epochs = 3;
    return config;
}

const LearningRate kAllRates[] = {LearningRate::constant, LearningRate::optimal, LearningRate::invscaling,
                                  LearningRate::adaptive, LearningRate::pa1,     LearningRate::pa2,
                                  LearningRate::exponential, LearningRate::step};

}  // namespace

TEST_CASE("StepSchedule optimal: 1 / (alpha (t0 + t - 1)) with Bottou's t0") {
    // scikit-learn: typw = sqrt(1 / sqrt(alpha)); eta_init = typw / max(1, dloss(-typw, 1));
    // t0 = 1 / (eta_init alpha). For hinge, dloss(-typw, 1) = -1.
    TrainConfig config = with_rate(LearningRate::optimal);
    config.objective.loss.kind = Loss::hinge;
    const StepSchedule schedule = StepSchedule::from(config);
    const double typw = std::pow(0.01, -0.25);  // sqrt(10)
    const double t0 = 1.0 / (typw * 0.01);
    CHECK(schedule.optimal_init == doctest::Approx(t0).epsilon(1e-14));
    for (const double t : {1.0, 2.0, 10.0, 1e6}) {
        CAPTURE(t);
        CHECK(schedule.at(t, 123.0) == doctest::Approx(1.0 / (0.01 * (t0 + t - 1.0))).epsilon(1e-14));
    }
    // alpha = 1e-4: typw = 10, t0 = 1000, so the first step is exactly 10
    config.objective.alpha = 1e-4;
    CHECK(StepSchedule::from(config).at(1.0, 0.0) == doctest::Approx(10.0).epsilon(1e-14));
}

TEST_CASE("StepSchedule optimal with decay_on_plateau: min(rate, epoch_eta / t)") {
    TrainConfig config = with_rate(LearningRate::optimal);
    config.step.initial_eta = 0.5;  // t0 = 1 / (0.5 * 0.01) = 200
    const double infinite = std::numeric_limits<double>::infinity();
    const StepSchedule plain = StepSchedule::from(config);
    config.step.decay_on_plateau = true;
    const StepSchedule decaying = StepSchedule::from(config);
    for (const double t : {1.0, 50.0, 1e4}) {
        CAPTURE(t);
        // before a plateau (epoch_eta infinite) the rate itself
        CHECK(decaying.at(t, infinite) == plain.at(t, infinite));
        // after one at t_s = 50: C = rate(50) * 50; from there C / t, below the rate
        const double C = plain.at(50.0, infinite) * 50.0;
        const double expected = t >= 50.0 ? C / t : plain.at(t, infinite);
        CHECK(decaying.at(t, C) == doctest::Approx(expected).epsilon(1e-15));
    }
    // without the flag epoch_eta is ignored, as before
    CHECK(plain.at(1e4, 1e-9) == doctest::Approx(1.0 / (0.01 * (200.0 + 1e4 - 1.0))).epsilon(1e-14));
}

TEST_CASE("StepSchedule invscaling: eta0 / t^power_t") {
    const StepSchedule schedule = StepSchedule::from(with_rate(LearningRate::invscaling));
    CHECK(schedule.at(1.0, 9.0) == 0.5);
    CHECK(schedule.at(16.0, 9.0) == doctest::Approx(0.25).epsilon(1e-15));
    CHECK(schedule.at(81.0, 9.0) == doctest::Approx(0.5 / 3.0).epsilon(1e-15));
}

TEST_CASE("StepSchedule constant and passive-aggressive: eta0 whatever t") {
    for (const LearningRate rate : {LearningRate::constant, LearningRate::pa1, LearningRate::pa2}) {
        const StepSchedule schedule = StepSchedule::from(with_rate(rate));
        CHECK(schedule.at(1.0, 9.0) == 0.5);
        CHECK(schedule.at(1e9, 9.0) == 0.5);
    }
}

TEST_CASE("StepSchedule epoch-wise rates: the epoch's rate whatever t") {
    for (const LearningRate rate : {LearningRate::adaptive, LearningRate::exponential, LearningRate::step}) {
        const StepSchedule schedule = StepSchedule::from(with_rate(rate));
        CHECK(schedule.at(1.0, 0.125) == 0.125);
        CHECK(schedule.at(1e9, 0.03) == 0.03);
    }
}

TEST_CASE("epoch_rate exponential: eta0 gamma^(epochs before this call + epoch)") {
    TrainConfig config = with_rate(LearningRate::exponential);
    CHECK(epoch_rate(config, 0, 9.0) == 0.5);
    CHECK(epoch_rate(config, 3, 9.0) == 0.0625);
    config.step.epoch_start = 2;  // partial_fit: epochs continue across calls
    CHECK(epoch_rate(config, 1, 9.0) == 0.0625);
}

TEST_CASE("epoch_rate step: eta0 gamma^floor(epochs / step_epochs)") {
    TrainConfig config = with_rate(LearningRate::step);  // step_epochs 3
    const double expected[] = {0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125};
    for (int epoch = 0; epoch < 7; ++epoch) {
        CAPTURE(epoch);
        CHECK(epoch_rate(config, epoch, 9.0) == expected[epoch]);
    }
    config.step.epoch_start = 1;
    CHECK(epoch_rate(config, 1, 9.0) == 0.5);   // epoch 2 overall
    CHECK(epoch_rate(config, 2, 9.0) == 0.25);  // epoch 3 overall
    config.step.step_epochs = 0;                     // treated as 1: decays every epoch
    config.step.epoch_start = 0;
    CHECK(epoch_rate(config, 2, 9.0) == 0.125);
}

TEST_CASE("epoch_rate adaptive: the stopping rule's current rate - others: eta0") {
    CHECK(epoch_rate(with_rate(LearningRate::adaptive), 4, 0.02) == 0.02);
    for (const LearningRate rate : kAllRates) {
        if (rate == LearningRate::adaptive || rate == LearningRate::exponential || rate == LearningRate::step) continue;
        CHECK(epoch_rate(with_rate(rate), 4, 0.02) == 0.5);
    }
}

namespace {

// update_step at the loss's value and derivative at p
double step_at(const TrainConfig& config, double eta, double p, double y, double squared_norm) {
    return update_step(config, eta, p, y, squared_norm, config.objective.loss.value_and_derivative(p, y));
}

}  // namespace

TEST_CASE("update_step: -eta dloss/dp clipped at 1e12") {
    TrainConfig config = with_rate(LearningRate::constant);
    config.objective.loss.kind = Loss::squared_error;
    CHECK(step_at(config, 0.1, 3.0, 1.0, 1.0) == doctest::Approx(-0.1 * 2.0).epsilon(1e-15));
    CHECK(step_at(config, 0.1, 1e13, 0.0, 1.0) == doctest::Approx(-0.1 * 1e12).epsilon(1e-15));
    CHECK(step_at(config, 0.1, -1e13, 0.0, 1.0) == doctest::Approx(0.1 * 1e12).epsilon(1e-15));
    CHECK(clipped(-5.0) == -5.0);
}

TEST_CASE("update_step passive-aggressive: PA-I min of loss / |x|^2 and C - PA-II loss / (|x|^2 + 1/(2C))") {
    // hinge, p = 0.2, y = +1: loss 0.8; |x|^2 = 4 -> ratio 0.2
    TrainConfig pa1 = with_rate(LearningRate::pa1);
    pa1.objective.loss.kind = Loss::hinge;
    pa1.step.eta0 = 1.0;
    CHECK(step_at(pa1, 0.0, 0.2, 1.0, 4.0) == doctest::Approx(0.2).epsilon(1e-15));
    CHECK(step_at(pa1, 0.0, -0.2, -1.0, 4.0) == doctest::Approx(-0.2).epsilon(1e-15));  // toward y
    pa1.step.eta0 = 0.1;  // capped by C
    CHECK(step_at(pa1, 0.0, 0.2, 1.0, 4.0) == doctest::Approx(0.1).epsilon(1e-15));

    TrainConfig pa2 = with_rate(LearningRate::pa2);
    pa2.objective.loss.kind = Loss::hinge;
    pa2.step.eta0 = 0.5;
    CHECK(step_at(pa2, 0.0, 0.2, 1.0, 4.0) == doctest::Approx(0.8 / (4.0 + 1.0)).epsilon(1e-15));

    // regression (epsilon-insensitive, epsilon 0.1): the sign follows y - p
    TrainConfig regression = with_rate(LearningRate::pa1);
    regression.objective.loss.kind = Loss::epsilon_insensitive;
    regression.objective.loss.epsilon = 0.1;
    regression.step.eta0 = 10.0;
    CHECK(step_at(regression, 0.0, 2.0, 1.0, 2.0) == doctest::Approx(-0.9 / 2.0).epsilon(1e-15));
    CHECK(step_at(regression, 0.0, 1.0, 2.0, 2.0) == doctest::Approx(0.9 / 2.0).epsilon(1e-15));
    CHECK(is_passive_aggressive(LearningRate::pa2));
    CHECK_FALSE(is_passive_aggressive(LearningRate::optimal));
}
