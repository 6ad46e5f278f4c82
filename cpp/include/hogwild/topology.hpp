// The CPUs this process may run on, and pinning threads to them.
#pragma once

#include <vector>

namespace hogwild {

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
