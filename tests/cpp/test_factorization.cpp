// mf/rating_update.hpp and mf/factorization_trainer.hpp: the lanes' sums
// against a double-precision reference, the SGD step against its formula,
// and the trainer's invariants (every rating trained once an epoch under
// every schedule, sequential runs repeat bit for bit, bad indices refused,
// the blocks grid's size).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "hogwild/mf/factorization_trainer.hpp"
#include "hogwild/mf/rating_update.hpp"

using namespace hogwild::mf;

namespace {

std::vector<float> random_floats(std::size_t n, unsigned seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> values(n);
    for (float& v : values) v = uniform(generator);
    return values;
}

struct Problem {
    std::int64_t n_users = 60, n_items = 40;
    int k = 13;
    std::vector<float> P, Q, bu, bi, gu, gi;
    std::vector<Rating> ratings;

    explicit Problem(int factors = 13, std::int64_t users = 60, std::int64_t items = 40)
        : n_users(users), n_items(items), k(factors) {
        P = random_floats(static_cast<std::size_t>(n_users * k), 1);
        Q = random_floats(static_cast<std::size_t>(n_items * k), 2);
        for (float& v : P) v *= 0.1f;
        for (float& v : Q) v *= 0.1f;
        bu.assign(static_cast<std::size_t>(n_users), 0.0f);
        bi.assign(static_cast<std::size_t>(n_items), 0.0f);
        gu.assign(static_cast<std::size_t>(n_users), 1.0f);
        gi.assign(static_cast<std::size_t>(n_items), 1.0f);
        for (std::int32_t u = 0; u < n_users; ++u)
            for (std::int32_t i = 0; i < n_items; ++i)
                if ((u * 7 + i * 3) % 5 == 0) ratings.push_back({u, i, static_cast<float>(1 + (u + i) % 5)});
    }
    FactorModel model() {
        return FactorModel{P.data(), Q.data(), bu.data(), bi.data(), gu.data(), gi.data(), n_users, n_items, k, 3.0f,
                           true};
    }
};

}  // namespace

TEST_CASE("dot over the lanes equals the exact sum for every length") {
    for (int k = 1; k <= 70; ++k) {
        const std::vector<float> p = random_floats(static_cast<std::size_t>(k), 3), q = random_floats(static_cast<std::size_t>(k), 4);
        double exact = 0.0, magnitude = 0.0;
        for (int f = 0; f < k; ++f) {
            exact += static_cast<double>(p[f]) * q[f];
            magnitude += std::fabs(static_cast<double>(p[f]) * q[f]);
        }
        CHECK(std::fabs(dot(p.data(), q.data(), k) - exact) <= 1e-6 * magnitude + 1e-7);
    }
}

TEST_CASE("an SGD step follows its formula from the old values") {
    for (int k : {1, 8, 13, 32, 41}) {
        std::vector<float> p = random_floats(static_cast<std::size_t>(k), 5), q = random_floats(static_cast<std::size_t>(k), 6);
        const std::vector<float> p0 = p, q0 = q;
        FactorModel model;
        model.n_factors = k;
        model.global_mean = 3.0f;
        float bu = 0.2f, bi = -0.1f;
        EpochStep step{0.05f, 0.1f, 0.3f, 0.2f, false};
        const float prediction = 3.0f + 0.2f - 0.1f + dot(p0.data(), q0.data(), k);
        const float error = sgd_update(model, step, 4.0f, p.data(), bu, q.data(), bi);
        CHECK(error == doctest::Approx(4.0f - prediction));
        CHECK(bu == doctest::Approx(0.2f + 0.1f * (error - 0.2f * 0.2f)));
        CHECK(bi == doctest::Approx(-0.1f + 0.1f * (error + 0.2f * 0.1f)));
        for (int f = 0; f < k; ++f) {
            CHECK(p[f] == doctest::Approx(p0[f] + 0.05f * (error * q0[f] - 0.3f * p0[f])).epsilon(1e-5));
            CHECK(q[f] == doctest::Approx(q0[f] + 0.05f * (error * p0[f] - 0.3f * q0[f])).epsilon(1e-5));
        }
    }
}

TEST_CASE("every schedule trains every rating once an epoch") {
    for (const char* name : {"sequential", "hogwild", "blocks"}) {
        for (int threads : {1, 2, 3}) {
            Problem problem;
            FactorizationTrainer trainer(problem.ratings, problem.model(), schedule_from_name(name), threads, 7);
            const hogwild::InterruptCheck none;
            double first = 0.0, last = 0.0;
            for (int epoch = 0; epoch < 20; ++epoch) {
                const EpochResult result = trainer.run_epoch(EpochStep{0.05f, 0.05f, 0.01f, 0.01f, epoch % 2 == 1}, none);
                CHECK(result.ratings == static_cast<std::int64_t>(problem.ratings.size()));
                CHECK_FALSE(result.interrupted);
                (epoch == 0 ? first : last) = result.squared_error;
            }
            CHECK(last < 0.5 * first);  // (and it learns)
        }
    }
}

TEST_CASE("the sequential schedule repeats bit for bit, and another seed differs") {
    auto train = [](std::uint64_t seed) {
        Problem problem;
        FactorizationTrainer trainer(problem.ratings, problem.model(), Schedule::sequential, 4, seed);
        for (int epoch = 0; epoch < 3; ++epoch) trainer.run_epoch(EpochStep{}, hogwild::InterruptCheck{});
        return problem.P;
    };
    CHECK(train(5) == train(5));
    CHECK(train(5) != train(6));
}

TEST_CASE("ratings outside the model are refused before training") {
    Problem problem;
    problem.ratings.push_back({static_cast<std::int32_t>(problem.n_users), 0, 1.0f});
    CHECK_THROWS_AS(FactorizationTrainer(problem.ratings, problem.model(), Schedule::blocks, 2, 0), std::out_of_range);
    problem.ratings.back() = {0, -1, 1.0f};
    CHECK_THROWS_AS(FactorizationTrainer(problem.ratings, problem.model(), Schedule::hogwild, 2, 0), std::out_of_range);
    CHECK_THROWS_AS(schedule_from_name("magic"), std::invalid_argument);
}

TEST_CASE("the blocks grid: 2T + 1 bands, more when the smaller side outgrows the cache") {
    Problem small;
    CHECK(FactorizationTrainer(small.ratings, small.model(), Schedule::blocks, 1, 0).bands() == 1);
    CHECK(FactorizationTrainer(small.ratings, small.model(), Schedule::blocks, 3, 0).bands() == 7);
    // 20,000 x 64 floats on the smaller side: 5 MiB, 10 bands of 512 KiB
    Problem large(64, 30'000, 20'000);
    large.ratings.resize(100);
    CHECK(FactorizationTrainer(large.ratings, large.model(), Schedule::blocks, 1, 0).bands() == 10);
    CHECK(FactorizationTrainer(large.ratings, large.model(), Schedule::blocks, 2, 0).bands() == 10);
}
