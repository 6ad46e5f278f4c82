// write_policy.hpp: how threads write the shared weights.
//
// Each case runs a team of kThreads OpenMP threads (num_threads named, and
// the team size checked, so that OMP_NUM_THREADS cannot quietly make a case
// single-threaded) hammering the same slots. More threads than the machine's
// cores is deliberate: preemption between a read and a write is where a
// non-atomic update is lost.
#include <doctest/doctest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "hogwild/core/write_policy.hpp"

using namespace hogwild;

namespace {

constexpr int kThreads = 4;

// Runs body(thread) on a team of exactly kThreads threads; returns the team size.
template <class Body>
int on_team(Body&& body) {
    int team = 0;
#pragma omp parallel num_threads(kThreads)
    {
#pragma omp single
        team = omp_get_num_threads();  // the single's implicit barrier starts everyone together
        body(omp_get_thread_num());
    }
    return team;
}

// Each thread calls update(thread) for `seconds`, not a fixed count: on a
// busy machine the threads may share one core, and a thread whose whole
// loop fits in one time slice would race with nobody. Returns the total
// number of calls (the expected result of a policy that loses no update).
template <class Update>
long hammer(double seconds, Update&& update) {
    long total = 0;
    const int team = on_team([&](int thread) {
        const auto stop = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        long calls = 0;
        do {
            for (int i = 0; i < 256; ++i) update(thread);
            calls += 256;
        } while (std::chrono::steady_clock::now() < stop);
#pragma omp atomic
        total += calls;
    });
    REQUIRE(team == kThreads);
    return total;
}

}  // namespace

TEST_CASE("AtomicWrites::modify loses no increment under concurrent threads") {
    double slot = 0.0;
    const long calls = hammer(0.1, [&](int) { AtomicWrites::modify(slot, [](double w) { return w + 1.0; }); });
    // every partial sum is an integer below 2^53: exact in double
    CHECK(slot == static_cast<double>(calls));
}

TEST_CASE("AtomicWrites::modify loses no update even when the update is slow") {
    // a yield between reading the old value and producing the new one
    // invites another thread in (a load-then-store policy loses most of
    // these); compare-and-swap retries instead. Thread t adds t + 1.
    double slot = 0.0;
    long per_thread[kThreads] = {};
    const long calls = hammer(0.1, [&](int t) {
        AtomicWrites::modify(slot, [t](double w) {
            std::this_thread::yield();
            return w + (t + 1.0);
        });
        ++per_thread[t];
    });
    double expected = 0.0;
    long counted = 0;
    for (int t = 0; t < kThreads; ++t) {
        expected += (t + 1.0) * static_cast<double>(per_thread[t]);
        counted += per_thread[t];
    }
    REQUIRE(counted == calls);
    CHECK(slot == expected);
}

TEST_CASE("atomic_add loses no addition under concurrent threads") {
    double slots[2] = {0.0, 0.0};
    long per_thread[kThreads] = {};
    hammer(0.1, [&](int t) {
        atomic_add(slots[0], 0.5);  // exact binary fraction: every partial sum is exact
        atomic_add(slots[1], -(t + 1.0));
        ++per_thread[t];
    });
    double expected0 = 0.0, expected1 = 0.0;
    for (int t = 0; t < kThreads; ++t) {
        expected0 += 0.5 * static_cast<double>(per_thread[t]);
        expected1 -= (t + 1.0) * static_cast<double>(per_thread[t]);
    }
    CHECK(slots[0] == expected0);
    CHECK(slots[1] == expected1);
}

TEST_CASE("RacyWrites is exact with one thread and never tears or invents a value") {
    double slot = 0.0;
    for (long i = 0; i < 100000; ++i) RacyWrites::modify(slot, [](double w) { return w + 1.0; });
    CHECK(slot == 100000.0);

    // Under contention updates may be lost (that is Hogwild!), but every
    // stored value is some thread's read + 1 of a whole double: an integer
    // between 1 and the number of updates.
    slot = 0.0;
    const long calls = hammer(0.05, [&](int) { RacyWrites::modify(slot, [](double w) { return w + 1.0; }); });
    CHECK(slot >= 1.0);
    CHECK(slot <= static_cast<double>(calls));
    CHECK(slot == std::floor(slot));
}

TEST_CASE("LockedWrites serializes whole rows: one thread inside at a time and no lost update") {
    // A "row" reads two slots, yields (inviting another thread in), then
    // writes both: under the row guard no other row may interleave.
    LockedWrites policy;
    double row[2] = {0.0, 0.0};
    std::atomic<int> inside{0};
    std::atomic<int> most_inside{0};
    constexpr long kRows = 20000;
    const int team = on_team([&](int) {
        for (long i = 0; i < kRows; ++i) {
            LockedWrites::RowGuard guard(policy);
            const int now = inside.fetch_add(1) + 1;
            int seen = most_inside.load();
            while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
            }
            const double a = LockedWrites::read(row[0]);
            const double b = LockedWrites::read(row[1]);
            std::this_thread::yield();
            LockedWrites::modify(row[0], [a](double) { return a + 1.0; });
            LockedWrites::modify(row[1], [b](double) { return b + 2.0; });
            inside.fetch_sub(1);
        }
    });
    REQUIRE(team == kThreads);
    CHECK(most_inside.load() == 1);
    CHECK(row[0] == static_cast<double>(kThreads * kRows));
    CHECK(row[1] == 2.0 * kThreads * kRows);
}

TEST_CASE("control: the row harness does see interleaving when the guard does not lock") {
    // The same harness under RacyWrites' guard, which takes no lock: rows
    // interleave and read-yield-write updates get lost. This is what makes
    // the LockedWrites case above able to fail.
    RacyWrites policy;
    double slot = 0.0;
    std::atomic<int> inside{0};
    std::atomic<int> most_inside{0};
    constexpr long kRows = 20000;
    const int team = on_team([&](int) {
        for (long i = 0; i < kRows; ++i) {
            RacyWrites::RowGuard guard(policy);
            const int now = inside.fetch_add(1) + 1;
            int seen = most_inside.load();
            while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
            }
            const double a = RacyWrites::read(slot);
            std::this_thread::yield();
            RacyWrites::modify(slot, [a](double) { return a + 1.0; });
            inside.fetch_sub(1);
        }
    });
    REQUIRE(team == kThreads);
    CHECK(most_inside.load() > 1);
    CHECK(slot < static_cast<double>(kThreads * kRows));
}
