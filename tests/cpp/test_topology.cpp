// topology.hpp: the CPUs this process may run on, and thread pinning.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#include <sys/sysinfo.h>
#endif

#include "hogwild/core/topology.hpp"

using namespace hogwild;

TEST_CASE("allowed_cpus is non-empty sorted and unique and usable_cpu_count is its size") {
    const std::vector<int> cpus = allowed_cpus();
    REQUIRE_FALSE(cpus.empty());
    CHECK(std::is_sorted(cpus.begin(), cpus.end()));
    CHECK(std::set<int>(cpus.begin(), cpus.end()).size() == cpus.size());
    CHECK(cpus.front() >= 0);
    CHECK(usable_cpu_count() == static_cast<int>(cpus.size()));
#if defined(__linux__)
    // the same set as the affinity mask, read here independently
    cpu_set_t mask;
    CPU_ZERO(&mask);
    REQUIRE(sched_getaffinity(0, sizeof mask, &mask) == 0);
    CHECK(CPU_COUNT(&mask) == usable_cpu_count());
    for (const int cpu : cpus) CHECK(CPU_ISSET(cpu, &mask));
    CHECK(cpus.back() < get_nprocs_conf());
#endif
}

#if defined(__linux__)
TEST_CASE("ScopedThreadPin pins the calling thread and allowed_cpus follows it and the old mask comes back") {
    const std::vector<int> before = allowed_cpus();
    const int target = before.back();
    {
        ScopedThreadPin pin(target);
        REQUIRE(pin.pinned());
        CHECK(allowed_cpus() == std::vector<int>{target});  // respects the (thread's) affinity mask
        CHECK(usable_cpu_count() == 1);
        CHECK(sched_getcpu() == target);
    }
    CHECK(allowed_cpus() == before);
}

TEST_CASE("ScopedThreadPin with a negative cpu leaves the thread alone") {
    const std::vector<int> before = allowed_cpus();
    {
        ScopedThreadPin pin(-1);
        CHECK_FALSE(pin.pinned());
        CHECK(allowed_cpus() == before);
    }
    CHECK(allowed_cpus() == before);
}
#endif

TEST_CASE("parse_cpu_list reads sysfs cpulists and refuses malformed ones") {
    CHECK(hogwild::parse_cpu_list("0-3,8,10-11\n") == std::vector<int>{0, 1, 2, 3, 8, 10, 11});
    CHECK(hogwild::parse_cpu_list("5") == std::vector<int>{5});
    CHECK(hogwild::parse_cpu_list("").empty());
    CHECK_THROWS_AS(hogwild::parse_cpu_list("3-1"), std::invalid_argument);
    CHECK_THROWS_AS(hogwild::parse_cpu_list("a-b"), std::invalid_argument);
    CHECK_THROWS_AS(hogwild::parse_cpu_list("1,,2"), std::invalid_argument);
}

TEST_CASE("numa_nodes: one node of every allowed CPU where sysfs says nothing") {
    const auto nodes = hogwild::numa_nodes("/nonexistent/sysfs/node");
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].id == 0);
    CHECK(nodes[0].cpus == hogwild::allowed_cpus());
}
