// solvers/node_replicas.hpp: a node's change since its last merge goes into
// the global model whole where no other node likely moved the coordinate,
// as the nodes' mean where every node moves a stiff coordinate; a merge
// keeps what the node's threads wrote meanwhile; each thread writes its
// own node's replica.
#include <doctest/doctest.h>

#include <vector>

#include "hogwild/runtime/thread_placement.hpp"
#include "solvers/node_replicas.hpp"

using namespace hogwild;

namespace {

// Two nodes of two threads each; coordinate 0 a rare feature, 1 a frequent
// stiff one, 2 the intercept.
struct TwoNodes {
    ThreadPlacement placement;
    std::vector<double> global{1.0, 2.0, 0.5};
    NodeReplicas replicas;
    TwoNodes() {
        Topology topology;
        topology.nodes = {NumaNode{0, {-1, -1}, 2, {10, 20}}, NumaNode{1, {-1, -1}, 2, {20, 10}}};
        placement = place_threads(topology, 4, true);
        // rare: in no row of an interval elsewhere; stiff: in every row, large x^2
        replicas = NodeReplicas(placement, false, 3, global.data(), {0.0f, 1.0f, 1.0f}, {0.0f, 100.0f, 100.0f}, 64);
    }
    auto at() {
        return [this](std::int64_t j) -> double& { return global[static_cast<std::size_t>(j)]; };
    }
    static void no_penalty(std::int64_t, double&) {}
};

}  // namespace

TEST_CASE("each node's threads write one replica, led by its first thread, starting from the model") {
    TwoNodes nodes;
    CHECK(nodes.replicas.on());
    CHECK(nodes.replicas.count() == 2);
    CHECK(nodes.replicas.values_of(0) == nodes.replicas.values_of(1));
    CHECK(nodes.replicas.values_of(2) == nodes.replicas.values_of(3));
    CHECK(nodes.replicas.values_of(0) != nodes.replicas.values_of(2));
    CHECK(nodes.replicas.leads(0));
    CHECK_FALSE(nodes.replicas.leads(1));
    CHECK(nodes.replicas.leads(2));
    CHECK(nodes.replicas.lead_rows() == 32);  // 64 rows of the node, two threads
    for (int j = 0; j < 3; ++j) CHECK(nodes.replicas.values_of(3)[j] == nodes.global[static_cast<std::size_t>(j)]);
}

TEST_CASE("merges add a rare coordinate's changes whole and a stiff one's as the nodes' mean") {
    TwoNodes nodes;
    double* first = nodes.replicas.values_of(0);
    double* second = nodes.replicas.values_of(2);
    first[0] += 0.25;  // rare
    second[0] += 0.5;
    first[1] += 1.0;  // stiff, moved by both
    second[1] += 3.0;
    first[2] -= 0.5;  // intercept
    second[2] -= 0.5;
    const double eta = 0.1;  // eta x stiffness x rows >= 1: settled
    nodes.replicas.merge(0, eta, nodes.at(), TwoNodes::no_penalty);
    CHECK(nodes.global[0] == doctest::Approx(1.25));
    CHECK(nodes.global[1] == doctest::Approx(2.0 + 1.0 / 2));
    nodes.replicas.merge(2, eta, nodes.at(), TwoNodes::no_penalty);
    CHECK(nodes.global[0] == doctest::Approx(1.75));        // 1 + 0.25 + 0.5
    CHECK(nodes.global[1] == doctest::Approx(4.0));         // 2 + (1 + 3) / 2
    CHECK(nodes.global[2] == doctest::Approx(0.0));         // 0.5 - (0.5 + 0.5) / 2
    // the second node took the global model back; the first has it at its next merge
    for (int j = 0; j < 3; ++j) CHECK(second[j] == nodes.global[static_cast<std::size_t>(j)]);
    CHECK(first[1] == doctest::Approx(2.5));
    nodes.replicas.merge(0, eta, nodes.at(), TwoNodes::no_penalty);  // no change of its own since: nothing added
    for (int j = 0; j < 3; ++j) CHECK(first[j] == doctest::Approx(nodes.global[static_cast<std::size_t>(j)]));
    CHECK(nodes.global[1] == doctest::Approx(4.0));
}

TEST_CASE("a small step does not settle a coordinate: the nodes' changes add up") {
    TwoNodes nodes;
    nodes.replicas.values_of(0)[1] += 1.0;
    nodes.replicas.values_of(2)[1] += 3.0;
    const double eta = 1e-9;
    nodes.replicas.merge(0, eta, nodes.at(), TwoNodes::no_penalty);
    nodes.replicas.merge(2, eta, nodes.at(), TwoNodes::no_penalty);
    CHECK(nodes.global[1] == doctest::Approx(6.0).epsilon(1e-4));  // (weight 1 / (1 + 6.4e-6))
}

TEST_CASE("merge_all merges every node and leaves every replica equal to the global model") {
    TwoNodes nodes;
    nodes.replicas.values_of(1)[0] += 1.0;
    nodes.replicas.values_of(3)[0] -= 0.25;
    nodes.replicas.merge_all(0.1, nodes.at(), TwoNodes::no_penalty);
    CHECK(nodes.global[0] == doctest::Approx(1.75));
    for (int tid = 0; tid < 4; ++tid)
        for (int j = 0; j < 3; ++j)
            CHECK(nodes.replicas.values_of(tid)[j] == nodes.global[static_cast<std::size_t>(j)]);
    nodes.replicas.reset([](std::int64_t j) { return static_cast<double>(j); });
    CHECK(nodes.replicas.values_of(2)[2] == 2.0);
}

TEST_CASE("a merge lets the global model settle a penalty, and the node takes the settled value back") {
    TwoNodes nodes;
    double* first = nodes.replicas.values_of(0);
    first[0] += 0.25;
    // (a penalty that clips coordinate 0 to zero on the global model)
    nodes.replicas.merge(0, 0.1, nodes.at(), [](std::int64_t j, double& w) {
        if (j == 0) w = 0.0;
    });
    CHECK(nodes.global[0] == 0.0);
    CHECK(first[0] == 0.0);
    CHECK(nodes.global[1] == 2.0);
}

TEST_CASE("what a node's threads add while its lead merges stays in the replica") {
    TwoNodes nodes;
    double* first = nodes.replicas.values_of(0);
    first[0] += 1.0;
    // a thread's addition that lands after the lead read the value: the
    // settle hook runs between the read and the replica's update
    nodes.replicas.merge(0, 0.1, nodes.at(), [&](std::int64_t j, double&) {
        if (j == 0) first[0] += 0.5;
    });
    CHECK(nodes.global[0] == doctest::Approx(2.0));
    CHECK(first[0] == doctest::Approx(2.5));  // the global model plus the late addition
    nodes.replicas.merge(0, 0.1, nodes.at(), TwoNodes::no_penalty);
    CHECK(nodes.global[0] == doctest::Approx(2.5));  // which the next merge brings in
}
