// The GPU trainer's backend on the host: the loop bodies of
// gpu/batch_trainer_impl.hpp run one after another by plain loops, so that
// tests check the GPU's algorithm (gather, transposed copy, cursors, the
// update) against the CPU solvers on a machine without a GPU. Not for speed.
//
// kLanes = 1: a row pass uses one lane, each margin summed in the CPU's
// order (the CPU solvers' model bit for bit). kLanes = 32: the CUDA
// backend's lanes (cpp/cuda/cuda_backend.cuh), each lane's part computed in
// turn and the parts added in the warp's shuffle-down tree; the batch's
// sums in the 1,024-thread block's order: the lanes' indexing as on a GPU.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "hogwild/gpu/batch_trainer.hpp"

namespace hogwild::gpu {

template <int kLanes>
class HostBackendOf {
  public:
    template <class T>
    class Buffer {
      public:
        void resize(std::size_t n) { values_.resize(n); }
        T* data() { return values_.empty() ? nullptr : values_.data(); }
        std::size_t size() const { return values_.size(); }
        void upload(const T* from, std::size_t n) { values_.assign(from, from + n); }
        void download(T* to, std::size_t n) const { std::copy(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(n), to); }
        void zero() { std::fill(values_.begin(), values_.end(), T{}); }

      private:
        std::vector<T> values_;
    };

    template <class T>
    using HostBuffer = std::vector<T>;

    explicit HostBackendOf(int) {}

    static int lanes_for(std::int64_t nnz, std::int64_t n_rows) { return kLanes == 1 ? 1 : warp_lanes_for(nnz, n_rows); }
    static constexpr int kWarpLanes = kLanes;

    template <class F>
    void for_each(std::int64_t n, F f) {
        for (std::int64_t i = 0; i < n; ++i) f(i);
    }

    template <class Part, class Done>
    void row_pass(std::int64_t n, int lanes, Part part, Done done) {
        std::vector<double> parts(static_cast<std::size_t>(lanes));
        for (std::int64_t r = 0; r < n; ++r) {
            for (int lane = 0; lane < lanes; ++lane) parts[static_cast<std::size_t>(lane)] = part(r, lane, lanes);
            const double sum = tree_sum(parts);
            for (int lane = 0; lane < lanes; ++lane) done(r, sum, lane, lanes);
        }
    }

    template <class Then>
    void sum_pair_then(std::int64_t n, const double* a, const double* b, Then then) {
        if (kLanes == 1) {
            double sum_a = 0.0, sum_b = 0.0;
            for (std::int64_t i = 0; i < n; ++i) {
                sum_a += a[i];
                sum_b += b[i];
            }
            then(sum_a, sum_b);
            return;
        }
        constexpr int kThreads = 1024;  // (cuda_backend.cuh's kSumThreads)
        std::vector<double> parts_a(kThreads, 0.0), parts_b(kThreads, 0.0);
        for (int t = 0; t < kThreads; ++t)
            for (std::int64_t i = t; i < n; i += kThreads) {
                parts_a[static_cast<std::size_t>(t)] += a[i];
                parts_b[static_cast<std::size_t>(t)] += b[i];
            }
        then(tree_sum(parts_a), tree_sum(parts_b));
    }

    // Parts added as a shuffle-down tree (or a block's halving tree) adds
    // them: first part[i] += part[i + half] for the lower half, and so on.
    static double tree_sum(std::vector<double> parts) {
        for (std::size_t half = parts.size() / 2; half > 0; half /= 2)
            for (std::size_t i = 0; i < half; ++i) parts[i] += parts[i + half];
        return parts.empty() ? 0.0 : parts[0];
    }

    template <class Key, class Value>
    void stable_sort_pairs(const Key* keys, Key* keys_out, const Value* values, Value* values_out, std::int64_t n,
                           int /*key_bits*/) {
        std::vector<std::int64_t> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return keys[a] < keys[b]; });
        for (std::int64_t s = 0; s < n; ++s) {
            keys_out[s] = keys[order[static_cast<std::size_t>(s)]];
            values_out[s] = values[order[static_cast<std::size_t>(s)]];
        }
    }

    // out[0..n]: out[i] = in[0] + ... + in[i - 1]
    void exclusive_scan(const std::int64_t* in, std::int64_t* out, std::int64_t n) {
        std::int64_t total = 0;
        for (std::int64_t i = 0; i <= n; ++i) {
            out[i] = total;
            if (i < n) total += in[i];
        }
    }

    void synchronize() {}
    void activate() {}
};

using HostBackend = HostBackendOf<1>;
using HostWarpBackend = HostBackendOf<kWarpSize>;

}  // namespace hogwild::gpu
