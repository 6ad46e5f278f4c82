#include "hogwild/topology.hpp"

#include <cstring>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif
#include <thread>

namespace hogwild {

std::vector<int> allowed_cpus() {
    std::vector<int> cpus;
#if defined(__linux__)
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
    }
#endif
    if (cpus.empty()) {
        const unsigned n = std::thread::hardware_concurrency();
        for (unsigned cpu = 0; cpu < (n == 0 ? 1u : n); ++cpu) cpus.push_back(static_cast<int>(cpu));
    }
    return cpus;
}

int usable_cpu_count() { return static_cast<int>(allowed_cpus().size()); }

ScopedThreadPin::ScopedThreadPin(int cpu) {
#if defined(__linux__)
    if (cpu < 0) return;
    cpu_set_t previous;
    if (pthread_getaffinity_np(pthread_self(), sizeof(previous), &previous) != 0) return;
    saved_mask_.resize(sizeof(previous));
    std::memcpy(saved_mask_.data(), &previous, sizeof(previous));
    cpu_set_t target;
    CPU_ZERO(&target);
    CPU_SET(cpu, &target);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(target), &target) == 0;
#else
    (void)cpu;
#endif
}

ScopedThreadPin::~ScopedThreadPin() {
#if defined(__linux__)
    if (pinned_) {
        cpu_set_t previous;
        std::memcpy(&previous, saved_mask_.data(), sizeof(previous));
        pthread_setaffinity_np(pthread_self(), sizeof(previous), &previous);
    }
#endif
}

}  // namespace hogwild
