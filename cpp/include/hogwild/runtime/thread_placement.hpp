// Which CPU and NUMA node each thread of a team runs on.
//
// Two layouts:
//  * packed (one shared model): threads take the first hardware thread of
//    every physical core, node after node, and only then SMT siblings,
//    so a shared model's cache lines stay on as few nodes as the thread
//    count allows;
//  * spread (a model replica per node): threads are dealt to the nodes in
//    contiguous, balanced groups (thread t to node t x nodes / threads),
//    and inside a node take its physical cores first.
#pragma once

#include <omp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/core/topology.hpp"

namespace hogwild {

struct ThreadPlacement {
    std::vector<int> cpus;   // per thread: the CPU it is pinned to when pinning (a real CPU)
    std::vector<int> nodes;  // per thread: its node's position in the topology (0 .. nodes - 1)
    std::vector<int> node_ids;  // per thread: its node's id
    int n_nodes = 1;            // nodes of the topology
    std::string topology;       // where the topology came from (Topology::source)

    int size() const { return static_cast<int>(cpus.size()); }
    // The nodes that hold at least one thread, in order.
    std::vector<int> nodes_used() const {
        std::vector<int> used;
        for (const int node : nodes)
            if (used.empty() || used.back() != node) used.push_back(node);  // (threads are grouped by node)
        return used;
    }
};

inline ThreadPlacement place_threads(const Topology& topology, int n_threads, bool spread_over_nodes) {
    ThreadPlacement placement;
    placement.n_nodes = static_cast<int>(topology.nodes.size());
    placement.topology = topology.source;
    const int n = n_threads > 1 ? n_threads : 1;
    auto place = [&](int node, int cpu) {
        placement.cpus.push_back(cpu);
        placement.nodes.push_back(node);
        placement.node_ids.push_back(topology.nodes[static_cast<std::size_t>(node)].id);
    };
    if (spread_over_nodes) {
        const auto n_nodes = static_cast<std::int64_t>(topology.nodes.size());
        std::int64_t first_of_node = 0;
        int node = -1;
        for (int t = 0; t < n; ++t) {
            const auto node_of_t = static_cast<int>(std::int64_t{t} * n_nodes / n);
            if (node_of_t != node) {
                node = node_of_t;
                first_of_node = t;
            }
            const std::vector<int>& cpus = topology.nodes[static_cast<std::size_t>(node)].cpus;
            place(node, cpus[static_cast<std::size_t>(t - first_of_node) % cpus.size()]);
        }
        return placement;
    }
    // packed: every node's physical cores, then every node's remaining hardware threads
    std::vector<std::pair<int, int>> order;  // (node, cpu)
    for (std::size_t k = 0; k < topology.nodes.size(); ++k)
        for (int c = 0; c < topology.nodes[k].physical_cores; ++c)
            order.push_back({static_cast<int>(k), topology.nodes[k].cpus[static_cast<std::size_t>(c)]});
    for (std::size_t k = 0; k < topology.nodes.size(); ++k)
        for (std::size_t c = static_cast<std::size_t>(topology.nodes[k].physical_cores); c < topology.nodes[k].cpus.size(); ++c)
            order.push_back({static_cast<int>(k), topology.nodes[k].cpus[c]});
    for (int t = 0; t < n; ++t) {
        const auto& [node, cpu] = order[static_cast<std::size_t>(t) % order.size()];
        place(node, cpu);
    }
    return placement;
}

// Whether a solver that can keep a model replica per node does: with
// several threads (not the locked baseline), when asked to ("replicate"),
// or by default ("auto") when its threads span several nodes.
inline bool node_replicas_wanted(const ParallelLayout& parallel, const Topology& topology) {
    if (parallel.n_threads <= 1 || parallel.write == WritePolicyKind::locked) return false;
    switch (parallel.numa) {
        case NumaMode::off:
            return false;
        case NumaMode::replicate:
            return true;
        case NumaMode::automatic:
            break;
    }
    return topology.nodes.size() > 1;
}

// The placement of a team of `n_threads` for a solver with one shared model
// (one thread: no topology is read, nothing is pinned).
inline ThreadPlacement packed_placement(const ParallelLayout& parallel, int n_threads) {
    if (n_threads <= 1) {
        ThreadPlacement one;
        one.cpus = {-1};
        one.nodes = {0};
        one.node_ids = {0};
        return one;
    }
    return place_threads(machine_topology(parallel.topology), n_threads, false);
}

// Runs body(tid) for every thread of `placement`, each on a thread pinned
// where the placement puts it (when `pin`), so that the memory each writes
// first is placed on its node by Linux's first-touch policy. Where OpenMP
// gives fewer threads than asked, the calling thread runs every body after
// the region. The bodies must not throw.
template <class Body>
void touch_where_placed(const ThreadPlacement& placement, bool pin, Body&& body) {
    const int n = placement.size();
    bool whole_team = true;
#pragma omp parallel num_threads(n)
    {
        if (omp_get_num_threads() != n) {
#pragma omp single nowait
            whole_team = false;
        } else {
            const int tid = omp_get_thread_num();
            ScopedThreadPin pinned(pin && n > 1 ? placement.cpus[static_cast<std::size_t>(tid)] : -1);
            body(tid);
        }
    }
    if (!whole_team)
        for (int tid = 0; tid < n; ++tid) body(tid);
}

}  // namespace hogwild
