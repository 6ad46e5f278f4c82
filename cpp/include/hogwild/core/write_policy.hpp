// How a thread writes the shared weights: a small policy type chosen at
// compile time, so the hot loop carries no run-time branch for it.
//
//   Racy      Hogwild!: relaxed atomic load, then relaxed store. Updates from
//             two threads may overwrite each other (rarely, on sparse data),
//             which Hogwild! tolerates; relaxed std::atomic_ref compiles to
//             plain moves on x86 yet is defined behaviour.
//   AtomicAdd Read-modify-write with compare-and-swap: no update is lost.
//   Locked    One lock around a whole row: the baseline that shows what
//             lock-free buys.
//   Sole      One thread alone (n_threads=1, racy or atomic): plain loads
//             and stores. Nothing else touches the weights while it trains;
//             a relaxed atomic access would still stop the compiler from
//             keeping values in registers and combining the accesses.
#pragma once

#include <atomic>
#include <mutex>

namespace hogwild {

// The row guard of the policies that take no lock: nothing.
struct NoRowGuard {
    template <class Policy>
    explicit NoRowGuard(Policy&) {}
};

struct RacyWrites {
    using RowGuard = NoRowGuard;
    static double read(double& slot) { return std::atomic_ref<double>(slot).load(std::memory_order_relaxed); }
    template <class Update>
    static void modify(double& slot, Update&& update) {
        std::atomic_ref<double> ref(slot);
        ref.store(update(ref.load(std::memory_order_relaxed)), std::memory_order_relaxed);
    }
};

struct SoleWrites {
    using RowGuard = NoRowGuard;
    static double read(double& slot) { return slot; }
    template <class Update>
    static void modify(double& slot, Update&& update) {
        slot = update(slot);
    }
};

struct AtomicWrites {
    using RowGuard = NoRowGuard;
    static double read(double& slot) { return std::atomic_ref<double>(slot).load(std::memory_order_relaxed); }
    template <class Update>
    static void modify(double& slot, Update&& update) {
        std::atomic_ref<double> ref(slot);
        double expected = ref.load(std::memory_order_relaxed);
        while (!ref.compare_exchange_weak(expected, update(expected), std::memory_order_relaxed)) {
        }
    }
};

// Racy's reads and writes, the whole row (read, then write) under the one lock.
struct LockedWrites : RacyWrites {
    struct RowGuard {
        explicit RowGuard(LockedWrites& policy) : lock(policy.mutex) {}
        std::lock_guard<std::mutex> lock;
    };
    std::mutex mutex;
};

// Adds `delta` to a shared value without losing concurrent additions;
// returns the value this addition made.
inline double atomic_add(double& slot, double delta) {
    std::atomic_ref<double> ref(slot);
    double expected = ref.load(std::memory_order_relaxed);
    while (!ref.compare_exchange_weak(expected, expected + delta, std::memory_order_relaxed)) {
    }
    return expected + delta;
}

}  // namespace hogwild
