// topology.hpp and thread_placement.hpp: the CPUs this process may run on,
// the NUMA nodes and SMT siblings sysfs describes (or a simulated machine),
// where a team's threads go, and thread pinning.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#include <sys/sysinfo.h>
#endif

#include "hogwild/core/topology.hpp"
#include "hogwild/runtime/thread_placement.hpp"

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

namespace {

// A sysfs tree below a fresh temporary folder: node/nodeN/{cpulist,distance}
// and cpu/cpuK/topology/thread_siblings_list.
struct FakeSysfs {
    std::filesystem::path root;
    FakeSysfs() {
        root = std::filesystem::temp_directory_path() /
               ("hogwild_sysfs_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
        std::filesystem::remove_all(root);
        std::filesystem::create_directories(root);
    }
    ~FakeSysfs() { std::filesystem::remove_all(root); }
    void write(const std::string& relative, const std::string& text) const {
        const std::filesystem::path path = root / relative;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path) << text << "\n";
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

std::string cpu_list_of(const std::vector<int>& cpus) {
    std::string out;
    for (const int cpu : cpus) out += (out.empty() ? "" : ",") + std::to_string(cpu);
    return out;
}

}  // namespace

TEST_CASE("read_topology: one node of every allowed CPU where sysfs says nothing") {
    const Topology topology = read_topology("/nonexistent/sysfs");
    REQUIRE(topology.nodes.size() == 1);
    CHECK(topology.nodes[0].id == 0);
    CHECK(topology.nodes[0].cpus == allowed_cpus());
    CHECK(topology.nodes[0].distances == std::vector<int>{10});
    CHECK(topology.source == "affinity mask");
    CHECK_FALSE(topology.simulated);
}

TEST_CASE("read_topology reads nodes, distances and SMT siblings, keeping only allowed CPUs") {
    const std::vector<int> allowed = allowed_cpus();
    const int a = allowed.front(), b = allowed.back();
    FakeSysfs sysfs;
    // node 0: the first allowed CPU and two foreign ones; node 2: the last
    // allowed CPU; node 1: no allowed CPU (dropped, its distance column too)
    sysfs.write("node/node0/cpulist", std::to_string(a) + ",100000-100001");
    sysfs.write("node/node0/distance", "10 21 31");
    sysfs.write("node/node1/cpulist", "100002");
    sysfs.write("node/node1/distance", "21 10 21");
    sysfs.write("node/node2/cpulist", std::to_string(b));
    sysfs.write("node/node2/distance", "31 21 10");
    sysfs.write("node/nodeX/cpulist", "0");  // not a node
    const Topology topology = read_topology(sysfs.root.string());
    CHECK(topology.source == "sysfs");
    if (a == b) {  // one allowed CPU: nodes 0 and 2 both hold it
        REQUIRE(topology.nodes.size() == 2);
    } else {
        REQUIRE(topology.nodes.size() == 2);
        CHECK(topology.nodes[0].cpus == std::vector<int>{a});
        CHECK(topology.nodes[1].cpus == std::vector<int>{b});
    }
    CHECK(topology.nodes[0].id == 0);
    CHECK(topology.nodes[1].id == 2);
    CHECK(topology.nodes[0].distances == std::vector<int>{10, 31});
    CHECK(topology.nodes[1].distances == std::vector<int>{31, 10});
}

TEST_CASE("read_topology puts physical cores before their SMT siblings") {
    const std::vector<int> allowed = allowed_cpus();
    if (allowed.size() < 2) return;  // (needs two CPUs to pair)
    const int a = allowed[0], b = allowed[1];
    FakeSysfs sysfs;
    sysfs.write("node/node0/cpulist", cpu_list_of(allowed));
    sysfs.write("node/node0/distance", "10");
    // a and b are one core's two hardware threads, b listed first
    for (const int cpu : {a, b})
        sysfs.write("cpu/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list",
                    std::to_string(b) + "," + std::to_string(a));
    const Topology topology = read_topology(sysfs.root.string());
    REQUIRE(topology.nodes.size() == 1);
    const std::vector<int>& cpus = topology.nodes[0].cpus;
    CHECK(static_cast<int>(topology.nodes[0].physical_cores) == static_cast<int>(allowed.size()) - 1);
    CHECK(cpus.back() == a);  // the second hardware thread of its core comes last
    CHECK(std::find(cpus.begin(), cpus.end(), b) != cpus.end() - 1);
}

TEST_CASE("read_topology ranks a CPU among its core's usable siblings only") {
    const std::vector<int> allowed = allowed_cpus();
    const int a = allowed.front();
    FakeSysfs sysfs;
    sysfs.write("node/node0/cpulist", cpu_list_of(allowed));
    // a's core also holds CPU 100000, outside the affinity mask and listed first
    sysfs.write("cpu/cpu" + std::to_string(a) + "/topology/thread_siblings_list", "100000," + std::to_string(a));
    const Topology topology = read_topology(sysfs.root.string());
    REQUIRE(topology.nodes.size() == 1);
    CHECK(topology.nodes[0].physical_cores == static_cast<int>(allowed.size()));  // a is its core's first usable
    CHECK(topology.nodes[0].cpus.front() == a);
}

TEST_CASE("simulated_topology maps N nodes of M CPUs onto the allowed CPUs") {
    const Topology topology = simulated_topology("2x3", {4, 7});
    CHECK(topology.simulated);
    CHECK(topology.source == "simulated 2x3");
    REQUIRE(topology.nodes.size() == 2);
    CHECK(topology.nodes[0].cpus == std::vector<int>{4, 7, 4});
    CHECK(topology.nodes[1].cpus == std::vector<int>{7, 4, 7});
    CHECK(topology.nodes[0].physical_cores == 3);
    CHECK(topology.nodes[0].distances == std::vector<int>{10, 20});
    CHECK(topology.nodes[1].distances == std::vector<int>{20, 10});
    for (const char* bad : {"", "2", "x4", "2x", "0x4", "2x0", "-1x2", "2x4x1", "abc", "2 x 4", "65x65"})
        CHECK_THROWS_WITH_AS(simulated_topology(bad, {0}),
                             doctest::Contains("topology must be \"NxM\""), std::invalid_argument);
}

TEST_CASE("machine_topology takes the spec, then HOGWILD_TOPOLOGY, then sysfs") {
    CHECK(machine_topology("3x1").nodes.size() == 3);
    ::setenv("HOGWILD_TOPOLOGY", "2x2", 1);
    CHECK(machine_topology().source == "simulated 2x2");
    CHECK(machine_topology("4x1").nodes.size() == 4);  // the spec wins
    ::setenv("HOGWILD_TOPOLOGY", "two nodes", 1);
    CHECK_THROWS_WITH_AS(machine_topology(), doctest::Contains("HOGWILD_TOPOLOGY: topology must be"),
                         std::invalid_argument);
    ::unsetenv("HOGWILD_TOPOLOGY");
    CHECK_FALSE(machine_topology().simulated);
}

TEST_CASE("place_threads: packed fills physical cores node by node, spread deals threads to the nodes") {
    Topology topology;
    // two nodes of two cores with two hardware threads each (CPUs 0-3 node 0, 4-7 node 1)
    topology.nodes = {NumaNode{0, {0, 1, 2, 3}, 2, {10, 20}}, NumaNode{1, {4, 5, 6, 7}, 2, {20, 10}}};
    const ThreadPlacement packed = place_threads(topology, 6, false);
    CHECK(packed.cpus == std::vector<int>{0, 1, 4, 5, 2, 3});  // every core's first hardware thread first
    CHECK(packed.node_ids == std::vector<int>{0, 0, 1, 1, 0, 0});
    const ThreadPlacement spread = place_threads(topology, 6, true);
    CHECK(spread.cpus == std::vector<int>{0, 1, 2, 4, 5, 6});
    CHECK(spread.node_ids == std::vector<int>{0, 0, 0, 1, 1, 1});
    CHECK(spread.nodes_used() == std::vector<int>{0, 1});
    const ThreadPlacement three = place_threads(topology, 3, true);
    CHECK(three.node_ids == std::vector<int>{0, 0, 1});
    const ThreadPlacement many = place_threads(topology, 10, false);  // more threads than CPUs: round again
    CHECK(many.cpus[8] == 0);
    CHECK(place_threads(topology, 1, true).nodes_used() == std::vector<int>{0});
}

TEST_CASE("node_replicas_wanted: auto on several nodes, replicate always, never for one thread or the locked baseline") {
    Topology one, two;
    one.nodes = {NumaNode{0, {0}, 1, {10}}};
    two.nodes = {NumaNode{0, {0}, 1, {10, 20}}, NumaNode{1, {1}, 1, {20, 10}}};
    ParallelLayout parallel;
    parallel.n_threads = 2;
    CHECK(node_replicas_wanted(parallel, two));
    CHECK_FALSE(node_replicas_wanted(parallel, one));
    parallel.numa = NumaMode::replicate;
    CHECK(node_replicas_wanted(parallel, one));
    parallel.numa = NumaMode::off;
    CHECK_FALSE(node_replicas_wanted(parallel, two));
    parallel.numa = NumaMode::replicate;
    parallel.write = WritePolicyKind::locked;
    CHECK_FALSE(node_replicas_wanted(parallel, two));
    parallel.write = WritePolicyKind::racy;
    parallel.n_threads = 1;
    CHECK_FALSE(node_replicas_wanted(parallel, two));
}
