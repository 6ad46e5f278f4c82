// The CPUs this process may run on, and pinning threads to them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hogwild {

// A NUMA node and the CPUs of it this process may run on.
struct NumaNode {
    int id = 0;
    std::vector<int> cpus;
};

// The NUMA nodes of this machine as Linux's sysfs lists them (below
// `sysfs_root`, normally /sys/devices/system/node), each with the CPUs of it
// in the process's affinity mask (taskset, cgroups); nodes left without an
// allowed CPU are dropped. Where sysfs says nothing (no such folder, another
// OS), one node 0 holding every allowed CPU.
std::vector<NumaNode> numa_nodes(const std::string& sysfs_root = "/sys/devices/system/node");

// The CPUs of a sysfs cpulist such as "0-3,8,10-11" (std::invalid_argument
// when malformed).
std::vector<int> parse_cpu_list(std::string_view list);

// CPUs in the process's affinity mask (respects taskset / cgroups).
std::vector<int> allowed_cpus();

// Number of threads a solver uses when the caller asks for "all cores".
int usable_cpu_count();

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
