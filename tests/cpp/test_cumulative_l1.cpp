// runtime/cumulative_l1.hpp: the books of the cumulative L1 penalty as the
// threads share them (the per-thread clock of u, the compare-and-swap
// settle of hogwild's merges, scaled with the merge's weight).
#include <doctest/doctest.h>

#include "hogwild/config.hpp"
#include "hogwild/linear/penalty.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"

using namespace hogwild;

namespace {

CumulativeL1 books_for_l1(double alpha, std::int64_t n_features, bool shared = true) {
    TrainConfig config;
    config.objective.penalty = Penalty::l1;
    config.objective.alpha = alpha;
    return CumulativeL1(config, penalty_strength(config), n_features, true, shared);
}

}  // namespace

TEST_CASE("CumulativeL1 is off without an L1 part, with an optimizer, or where the solver keeps no books") {
    TrainConfig config;  // l2
    CHECK_FALSE(CumulativeL1(config, penalty_strength(config), 3, true).on());
    config.objective.penalty = Penalty::l1;
    CHECK(CumulativeL1(config, penalty_strength(config), 3, true).on());
    CHECK_FALSE(CumulativeL1(config, penalty_strength(config), 3, false).on());
    config.step.optimizer = Optimizer::adam;
    CHECK_FALSE(CumulativeL1(config, penalty_strength(config), 3, true).on());
}

TEST_CASE("L1Clock: u at the epoch's start plus the thread's own pulls times the team size") {
    CumulativeL1 books = books_for_l1(0.5, 2);
    books.set_total(1.0);
    L1Clock clock(books, 4);
    clock.advance(0.1);  // a pull of 0.05
    clock.advance(0.2);  // 0.1
    CHECK(clock.own() == doctest::Approx(0.15));
    CHECK(clock.u() == doctest::Approx(1.0 + 4 * 0.15));
    CHECK(books.total() == 1.0);  // the epoch end adds the threads' pulls, not the clock
}

TEST_CASE("settle_shared: the owed pull times the merge's fraction, the debt booked in full") {
    CumulativeL1 books = books_for_l1(1.0, 2);
    double w = 1.0;
    books.settle_shared(0.4, 0, w, 0.5);
    CHECK(w == doctest::Approx(0.8));
    books.settle_shared(0.4, 0, w, 0.5);  // nothing more is owed
    CHECK(w == doctest::Approx(0.8));
    // a weight smaller than its share of the pull goes to exactly zero; the
    // book takes the part of the debt that share paid for
    double small = 0.1;
    books.settle_shared(0.4, 1, small, 0.5);
    CHECK(small == 0.0);
    double later = 0.5;
    books.settle_shared(0.6, 1, later, 1.0);  // owed: 0.6 - 0.2
    CHECK(later == doctest::Approx(0.1));
}

TEST_CASE("step_at on shared books books each pull: a second step at the same u owes nothing") {
    CumulativeL1 books = books_for_l1(1.0, 1);
    const double first = books.step_at(0.3, 0, 1.0, 0.0, 0.0, 1.0);
    const double second = books.step_at(0.3, 0, 1.0, 0.0, 0.0, 1.0);
    CHECK(first == doctest::Approx(0.7));
    CHECK(second == doctest::Approx(1.0));
}
