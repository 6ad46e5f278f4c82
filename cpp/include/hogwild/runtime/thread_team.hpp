// The threads of one training run. Every parallel solver runs its epochs on
// a ThreadTeam, which owns what they would otherwise each write again:
//  * one OpenMP parallel region of config.parallel.n_threads threads, each pinned to
//    the CPU its placement gives it (thread_placement.hpp; when asked and
//    when there are several threads), and a record of the CPU each ran on;
//  * one interruption rule: the calling thread (0, the user's Python thread)
//    polls the interrupt hook as it works, at most every
//    kRowsBetweenInterruptChecks rows, and every thread sees the request;
//  * exceptions never leave the parallel region (where they would end the
//    process): the first is kept, training stops, and it is rethrown after
//    the region;
//  * per-thread values on cache lines of their own (PerThread).
#pragma once

#include <omp.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/core/topology.hpp"
#include "hogwild/runtime/thread_placement.hpp"

namespace hogwild {

// A value on a cache line of its own, so that threads writing neighbouring
// values do not invalidate each other's lines.
template <class T>
struct alignas(64) Padded {
    T value{};
};

// One padded value per thread.
template <class T>
class PerThread {
  public:
    explicit PerThread(int n_threads, T initial = T{}) : slots_(static_cast<std::size_t>(n_threads), Padded<T>{initial}) {}
    T& operator[](int tid) { return slots_[static_cast<std::size_t>(tid)].value; }
    const T& operator[](int tid) const { return slots_[static_cast<std::size_t>(tid)].value; }
    int size() const { return static_cast<int>(slots_.size()); }
    T sum() const {
        T total{};
        for (const auto& slot : slots_) total += slot.value;  // in thread order: deterministic
        return total;
    }

  private:
    std::vector<Padded<T>> slots_;
};

class ThreadTeam {
  public:
    // Rows a thread works between two looks at the stop flag, and rows the
    // calling thread works between two polls of the interrupt hook (which
    // itself takes the GIL at most every ~100 ms).
    static constexpr std::int64_t kRowsBetweenStopChecks = 256;
    static constexpr std::int64_t kRowsBetweenInterruptChecks = 4096;

    ThreadTeam(ThreadPlacement placement, bool pin, const InterruptCheck& interrupted)
        : n_threads_(placement.size() > 1 ? placement.size() : 1),
          pin_(pin),
          interrupted_(interrupted),
          placement_(std::move(placement)),
          ran_on_(static_cast<std::size_t>(n_threads_), -1) {}
    // A team whose threads are packed onto the machine's cores (see thread_placement.hpp).
    ThreadTeam(int n_threads, bool pin, const InterruptCheck& interrupted)
        : ThreadTeam(pin ? packed_placement(ParallelLayout{}, n_threads) : unpinned(n_threads), pin, interrupted) {}

    int size() const { return n_threads_; }
    const ThreadPlacement& placement() const { return placement_; }
    // Per thread, the CPU it was on after pinning, as the last run started (-1: unknown).
    const std::vector<int>& ran_on() const { return ran_on_; }

    // Runs body(tid, team_size) on every thread of the team, pinned; an
    // exception thrown by the body on any thread stops the team and is
    // rethrown here once the region has ended. A body that throws must
    // still meet every barrier the others meet: bodies check stop_requested()
    // only where all threads decide alike (after a barrier), or catch with
    // guarded() and carry on to the next barrier.
    template <class Body>
    void run(Body&& body) {
#pragma omp parallel num_threads(n_threads_)
        {
            const int tid = omp_get_thread_num();
            const int team = omp_get_num_threads();
            ScopedThreadPin pin(pin_ && team > 1 ? placement_.cpus[static_cast<std::size_t>(tid)] : -1);
            ran_on_[static_cast<std::size_t>(tid)] = current_cpu();
            guarded([&] { body(tid, team); });
        }
        if (error_) std::rethrow_exception(error_);
    }

    // Runs f, keeping an exception it throws (the first of the run) and
    // stopping the team instead of letting it escape.
    template <class F>
    void guarded(F&& f) {
        try {
            f();
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
            request_stop();
        }
    }

    // The calling thread asks the hook now (e.g. once per epoch, however
    // little work the epoch had). Only thread 0 may call it: the hook may
    // take the GIL.
    void poll_interrupt() {
        rows_since_poll_ = 0;
        if (progress_ != nullptr && *progress_ && epoch_rows_ > 0) {
            const double done = static_cast<double>(rows_this_epoch_) * n_threads_ / static_cast<double>(epoch_rows_);
            guarded([&] { (*progress_)(done < 0.999 ? done : 0.999); });
        }
        if (!interrupted_) return;
        guarded([&] {
            if (interrupted_()) request_stop();
        });
    }

    // Called by a thread after `rows` more rows of work; thread 0 polls the
    // interrupt hook every kRowsBetweenInterruptChecks rows. Returns true
    // when the thread should stop its share of the epoch now.
    bool stop_after(int tid, std::int64_t rows) {
        if (tid == 0) {
            rows_since_poll_ += rows;
            rows_this_epoch_ += rows;
            if (rows_since_poll_ >= kRowsBetweenInterruptChecks) poll_interrupt();
        }
        return stop_requested();
    }

    // The same, for a loop over rows: looks only every kRowsBetweenStopChecks
    // rows of the thread's share (`position` counts from 0 in the share).
    bool stop_at(int tid, std::int64_t position) {
        if (position % kRowsBetweenStopChecks != 0 || position == 0) return position == 0 && stop_requested();
        return stop_after(tid, kRowsBetweenStopChecks);
    }

    // Progress within epochs of `epoch_rows` rows goes to `progress` (which
    // must outlive the team) when the interrupt hook is polled.
    void report_progress(const ProgressHook& progress, std::int64_t epoch_rows) {
        progress_ = &progress;
        epoch_rows_ = epoch_rows;
    }
    // (thread 0, as an epoch starts)
    void start_epoch_progress() { rows_this_epoch_ = 0; }

    bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }
    void request_stop() { stop_.store(true, std::memory_order_relaxed); }
    bool failed() const { return error_ != nullptr; }

  private:
    static ThreadPlacement unpinned(int n_threads) {
        ThreadPlacement placement;
        for (int t = 0; t < (n_threads > 1 ? n_threads : 1); ++t) {
            placement.cpus.push_back(-1);
            placement.nodes.push_back(0);
            placement.node_ids.push_back(0);
        }
        return placement;
    }

    const int n_threads_;
    const bool pin_;
    const InterruptCheck& interrupted_;
    const ThreadPlacement placement_;
    std::vector<int> ran_on_;
    std::atomic<bool> stop_{false};
    std::int64_t rows_since_poll_ = 0;  // the calling thread's
    std::int64_t rows_this_epoch_ = 0;  // the calling thread's
    const ProgressHook* progress_ = nullptr;
    std::int64_t epoch_rows_ = 0;
    std::mutex error_mutex_;
    std::exception_ptr error_;
};

// Rows [begin, end) of `n_rows` that thread `tid` of a team of `team` takes.
struct Share {
    std::int64_t begin;
    std::int64_t end;
};
inline Share share_of(std::int64_t n_rows, int tid, int team) {
    return Share{n_rows * tid / team, n_rows * (tid + 1) / team};
}

}  // namespace hogwild
