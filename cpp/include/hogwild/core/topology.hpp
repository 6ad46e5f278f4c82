// The machine as the solvers see it: NUMA nodes, their CPUs (physical cores
// before their SMT siblings), the distances between nodes, all restricted
// to the CPUs this process may run on; and pinning threads to CPUs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hogwild {

// A NUMA node and the CPUs of it this process may run on.
struct NumaNode {
    int id = 0;
    // In placement order: the first hardware thread of every physical core
    // (ascending), then the second ones, and so on. A simulated node lists
    // the real CPUs its simulated CPUs run on (the same CPU may recur).
    std::vector<int> cpus;
    int physical_cores = 0;      // distinct cores among `cpus`
    std::vector<int> distances;  // to every node of the topology, in its order (sysfs units: 10 = local)
};

struct Topology {
    std::vector<NumaNode> nodes;  // by id; never empty
    bool simulated = false;
    std::string source;  // "sysfs", "affinity mask" (sysfs said nothing) or "simulated 2x4"
};

// The machine's topology as Linux's sysfs describes it below `sysfs_root`
// (normally /sys/devices/system: node/nodeN/{cpulist,distance} and
// cpu/cpuK/topology/thread_siblings_list), intersected with the process's
// affinity mask (taskset, cgroups); nodes left without an allowed CPU are
// dropped. Where sysfs says nothing (no such folder, another OS): one node
// 0 holding every allowed CPU, each its own core.
Topology read_topology(const std::string& sysfs_root = "/sys/devices/system");

// A simulated topology for tests and laptops: `spec` "NxM" is N nodes of M
// CPUs each (1 <= N, M and N x M <= 4096), distance 10 within a node and
// 20 across; simulated CPU k (node k / M) runs on the real allowed CPU
// allowed[k % allowed.size()]. std::invalid_argument with a message that
// quotes `spec` when it is malformed.
Topology simulated_topology(std::string_view spec, const std::vector<int>& allowed);

// The topology training uses: simulated from `spec` when it is not empty,
// else from the environment variable HOGWILD_TOPOLOGY when set and not
// empty, else read from sysfs (once per affinity mask of the process: a
// later call under the same mask returns the first reading).
Topology machine_topology(std::string_view spec = {});

// The CPUs of a sysfs cpulist such as "0-3,8,10-11" (std::invalid_argument
// when malformed).
std::vector<int> parse_cpu_list(std::string_view list);

// CPUs in the process's affinity mask (respects taskset / cgroups).
std::vector<int> allowed_cpus();

// Number of threads a solver uses when the caller asks for "all cores".
int usable_cpu_count();

// The CPU the calling thread runs on now (-1 where the OS cannot say).
int current_cpu();

// Pins the calling thread to one CPU for its lifetime and restores the
// thread's previous affinity when destroyed (the calling thread is the
// user's Python thread, which must not stay pinned).
class ScopedThreadPin {
  public:
    explicit ScopedThreadPin(int cpu);  // cpu < 0: leave the thread alone
    ~ScopedThreadPin();
    ScopedThreadPin(const ScopedThreadPin&) = delete;
    ScopedThreadPin& operator=(const ScopedThreadPin&) = delete;
    bool pinned() const { return pinned_; }

  private:
    bool pinned_ = false;
    std::vector<unsigned char> saved_mask_;  // a cpu_set_t, kept opaque here
};

}  // namespace hogwild
