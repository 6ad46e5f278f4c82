// runtime/thread_team.hpp: the team runs every thread named, keeps an
// exception inside the parallel region and rethrows it after, and turns an
// interrupt into a stop every thread sees.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "hogwild/runtime/thread_team.hpp"

using namespace hogwild;

TEST_CASE("ThreadTeam::run runs the body once on every thread of the team") {
    const InterruptCheck none;
    ThreadTeam team(3, false, none);
    std::atomic<int> calls{0}, ids{0};
    int size_seen = 0;
    team.run([&](int tid, int size) {
        calls.fetch_add(1);
        ids.fetch_add(1 << tid);
        if (tid == 0) size_seen = size;
    });
    CHECK(calls.load() == 3);
    CHECK(ids.load() == 0b111);
    CHECK(size_seen == 3);
}

TEST_CASE("an exception on any thread stops the team and is rethrown after the region") {
    const InterruptCheck none;
    ThreadTeam team(2, false, none);
    std::atomic<int> finished{0};
    CHECK_THROWS_WITH_AS(team.run([&](int tid, int) {
        if (tid == 1) throw std::runtime_error("thread 1 failed");
        while (!team.stop_requested()) std::this_thread::yield();  // the others see the stop
        finished.fetch_add(1);
    }),
                         "thread 1 failed", std::runtime_error);
    CHECK(finished.load() == 1);
    CHECK(team.failed());
}

TEST_CASE("the calling thread polls the interrupt hook every kRowsBetweenInterruptChecks rows") {
    int polls = 0;
    const InterruptCheck hook = [&] { return ++polls == 3; };
    ThreadTeam team(1, false, hook);
    std::int64_t rows = 0;
    team.run([&](int tid, int) {
        for (std::int64_t position = 0; position < 100 * ThreadTeam::kRowsBetweenInterruptChecks; ++position) {
            if (team.stop_at(tid, position)) break;
            ++rows;
        }
    });
    CHECK(polls == 3);
    CHECK(team.stop_requested());
    CHECK_FALSE(team.failed());
    CHECK(rows == 3 * ThreadTeam::kRowsBetweenInterruptChecks);
}

TEST_CASE("an exception from the interrupt hook is kept like any other") {
    const InterruptCheck hook = []() -> bool { throw std::runtime_error("hook failed"); };
    ThreadTeam team(1, false, hook);
    CHECK_THROWS_WITH_AS(team.run([&](int, int) { team.poll_interrupt(); }), "hook failed", std::runtime_error);
}

TEST_CASE("PerThread values sit on cache lines of their own and sum in thread order") {
    PerThread<double> values(4);
    CHECK(reinterpret_cast<const char*>(&values[1]) - reinterpret_cast<const char*>(&values[0]) >= 64);
    for (int tid = 0; tid < 4; ++tid) values[tid] = tid + 0.5;
    CHECK(values.sum() == 8.0);
}

TEST_CASE("share_of splits rows into contiguous shares covering all of them") {
    std::int64_t covered = 0;
    for (int tid = 0; tid < 3; ++tid) {
        const Share share = share_of(10, tid, 3);
        CHECK(share.begin == covered);
        covered = share.end;
    }
    CHECK(covered == 10);
}
