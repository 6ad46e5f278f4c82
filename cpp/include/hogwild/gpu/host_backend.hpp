// The GPU trainer's backend on the host: the loop bodies of
// gpu/batch_trainer_impl.hpp run one after another by plain loops, so that
// tests check the GPU's algorithm (gather, transposed copy, cursors, the
// update) against the CPU solvers on a machine without a GPU. A row pass
// uses one lane: each margin is summed in the CPU's order. Not for speed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace hogwild::gpu {

class HostBackend {
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

    explicit HostBackend(int) {}

    static int lanes_for(std::int64_t, std::int64_t) { return 1; }
    static constexpr int kWarpLanes = 1;

    template <class F>
    void for_each(std::int64_t n, F f) {
        for (std::int64_t i = 0; i < n; ++i) f(i);
    }

    template <class Part, class Done>
    void row_pass(std::int64_t n, int lanes, Part part, Done done) {
        for (std::int64_t r = 0; r < n; ++r) {
            double sum = 0.0;
            for (int lane = 0; lane < lanes; ++lane) sum += part(r, lane, lanes);
            for (int lane = 0; lane < lanes; ++lane) done(r, sum, lane, lanes);
        }
    }

    template <class Then>
    void sum_pair_then(std::int64_t n, const double* a, const double* b, Then then) {
        double sum_a = 0.0, sum_b = 0.0;
        for (std::int64_t i = 0; i < n; ++i) {
            sum_a += a[i];
            sum_b += b[i];
        }
        then(sum_a, sum_b);
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

}  // namespace hogwild::gpu
