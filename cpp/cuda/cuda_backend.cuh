// The GPU trainer's backend on a CUDA device (see gpu/batch_trainer_impl.hpp
// for what a backend provides): device memory, the loop bodies as kernels on
// the default stream, CUB's radix sort and scan.
//
// Why hand-written kernels rather than cuSPARSE / cuBLAS: every pass of a
// step is fused with its neighbour (the margin with the loss derivative and,
// in the atomic reduction, with the gradient's scatter; the gradient's sum
// with the optimizer's update on the touched coordinates), and a batch is a
// range of the epoch's gathered rows whose CSR offsets do not start at zero,
// which cuSPARSE's CSR descriptors cannot express without a copy. The
// library calls would add two or three launches and round trips through
// device memory per batch, and a runtime dependency (cuSPARSE) of several
// hundred megabytes to the wheel. Sorting and scans are CUB's (shipped with
// the CUDA toolkit, header-only).
#pragma once

#include <cuda_runtime.h>

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda_trainer.hpp"

namespace hogwild::gpu {

inline void check_cuda(cudaError_t status, const char* what) {
    if (status != cudaSuccess)
        throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(status));
}

// Bytes the trainers' buffers may hold together (tests of the out-of-memory
// error set it; 0: the device's memory is the limit) and hold now.
inline std::atomic<std::size_t> device_memory_limit{0};
inline std::atomic<std::size_t> device_memory_in_use{0};

// cudaMalloc, or DeviceMemoryError saying what was asked for and what is free.
inline void* device_allocate(std::size_t bytes) {
    void* pointer = nullptr;
    const std::size_t limit = device_memory_limit.load();
    const bool over_limit = limit > 0 && device_memory_in_use.load() + bytes > limit;
    const cudaError_t status = over_limit ? cudaErrorMemoryAllocation : cudaMalloc(&pointer, bytes);
    if (status == cudaErrorMemoryAllocation) {
        cudaGetLastError();  // (clears the error)
        std::size_t free_bytes = 0, total_bytes = 0;
        cudaMemGetInfo(&free_bytes, &total_bytes);
        if (limit > 0) {
            total_bytes = std::min(total_bytes, limit);
            free_bytes = std::min(free_bytes, limit - std::min(limit, device_memory_in_use.load()));
        }
        throw DeviceMemoryError("the GPU has too little free memory for this training data: " +
                                std::to_string(bytes) + " more bytes were needed, " + std::to_string(free_bytes) +
                                " of " + std::to_string(total_bytes) + " are free (the data, its gathered and "
                                "transposed copies and the model live on the device; use gpu_reduction='atomic' "
                                "(no transposed copy), fewer rows per fit, or device='cpu')");
    }
    check_cuda(status, "cudaMalloc");
    device_memory_in_use += bytes;
    return pointer;
}

inline void device_free(void* pointer, std::size_t bytes) {
    cudaFree(pointer);
    device_memory_in_use -= bytes;
}

template <class F>
__global__ void for_each_kernel(std::int64_t n, F f) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) f(i);
}

// One thread per row: the row's sum in the CPU's order.
template <class Part, class Done>
__global__ void row_pass_thread_kernel(std::int64_t n, Part part, Done done) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t r = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < n; r += stride)
        done(r, part(r, 0, 1), 0, 1);
}

// One warp per row (rows long enough to keep 32 lanes busy): each lane sums
// every 32nd nonzero, the lanes' sums are added in a fixed tree order and
// lane 0's total is handed to every lane.
template <class Part, class Done>
__global__ void row_pass_warp_kernel(std::int64_t n, Part part, Done done) {
    const int lane = static_cast<int>(threadIdx.x & 31u);
    const std::int64_t warps = static_cast<std::int64_t>(gridDim.x) * blockDim.x / 32;
    for (std::int64_t r = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32; r < n; r += warps) {
        double sum = part(r, lane, 32);
        for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
        sum = __shfl_sync(0xffffffffu, sum, 0);
        done(r, sum, lane, 32);
    }
}

// One block: two sums in a fixed order (each thread a strided share, then a
// tree), handed to `then` on thread 0.
constexpr int kSumThreads = 1024;
template <class Then>
__global__ void sum_pair_kernel(std::int64_t n, const double* a, const double* b, Then then) {
    __shared__ double shared_a[kSumThreads];
    __shared__ double shared_b[kSumThreads];
    double sum_a = 0.0, sum_b = 0.0;
    for (std::int64_t i = threadIdx.x; i < n; i += kSumThreads) {
        sum_a += a[i];
        sum_b += b[i];
    }
    shared_a[threadIdx.x] = sum_a;
    shared_b[threadIdx.x] = sum_b;
    __syncthreads();
    for (int half = kSumThreads / 2; half > 0; half /= 2) {
        if (static_cast<int>(threadIdx.x) < half) {
            shared_a[threadIdx.x] += shared_a[threadIdx.x + half];
            shared_b[threadIdx.x] += shared_b[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) then(shared_a[0], shared_b[0]);
}

class CudaBackend {
  public:
    template <class T>
    class Buffer {
      public:
        Buffer() = default;
        Buffer(const Buffer&) = delete;
        Buffer& operator=(const Buffer&) = delete;
        ~Buffer() { release(); }

        void resize(std::size_t n) {
            if (n == size_) return;
            release();
            if (n > 0) data_ = static_cast<T*>(device_allocate(n * sizeof(T)));
            size_ = n;
        }
        T* data() { return data_; }
        std::size_t size() const { return size_; }
        void upload(const T* from, std::size_t n) {
            resize(n);
            if (n > 0) check_cuda(cudaMemcpy(data_, from, n * sizeof(T), cudaMemcpyHostToDevice), "upload");
        }
        // (waits for the kernels queued before it: the default stream)
        void download(T* to, std::size_t n) const {
            if (n > 0) check_cuda(cudaMemcpy(to, data_, n * sizeof(T), cudaMemcpyDeviceToHost), "download");
        }
        void zero() {
            if (size_ > 0) check_cuda(cudaMemsetAsync(data_, 0, size_ * sizeof(T)), "cudaMemset");
        }

      private:
        void release() {
            if (data_ != nullptr) device_free(data_, size_ * sizeof(T));
            data_ = nullptr;
            size_ = 0;
        }
        T* data_ = nullptr;
        std::size_t size_ = 0;
    };

    // Page-locked host memory: copies to the device run at the bus's speed
    // (pageable memory goes through a staging copy of the driver's).
    template <class T>
    class HostBuffer {
      public:
        HostBuffer() = default;
        HostBuffer(const HostBuffer&) = delete;
        HostBuffer& operator=(const HostBuffer&) = delete;
        ~HostBuffer() {
            if (data_ != nullptr) cudaFreeHost(data_);
        }
        void resize(std::size_t n) {
            if (data_ != nullptr) cudaFreeHost(data_);
            data_ = nullptr;
            if (n > 0) check_cuda(cudaMallocHost(&data_, n * sizeof(T)), "cudaMallocHost");
        }
        T* data() { return data_; }

      private:
        T* data_ = nullptr;
    };

    explicit CudaBackend(int device) : device_(device) {
        activate();
        check_cuda(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, device), "device query");
    }

    void activate() { check_cuda(cudaSetDevice(device_), "cudaSetDevice"); }

    static constexpr int kWarpLanes = kWarpSize;
    static int lanes_for(std::int64_t nnz, std::int64_t n_rows) { return warp_lanes_for(nnz, n_rows); }

    template <class F>
    void for_each(std::int64_t n, F f) {
        if (n <= 0) return;
        for_each_kernel<<<blocks_for(n), kThreads>>>(n, f);
        check_cuda(cudaGetLastError(), "for_each launch");
    }

    template <class Part, class Done>
    void row_pass(std::int64_t n, int lanes, Part part, Done done) {
        if (n <= 0) return;
        if (lanes == 32)
            row_pass_warp_kernel<<<blocks_for(n * 32), kThreads>>>(n, part, done);
        else
            row_pass_thread_kernel<<<blocks_for(n), kThreads>>>(n, part, done);
        check_cuda(cudaGetLastError(), "row pass launch");
    }

    template <class Then>
    void sum_pair_then(std::int64_t n, const double* a, const double* b, Then then) {
        sum_pair_kernel<<<1, kSumThreads>>>(n, a, b, then);
        check_cuda(cudaGetLastError(), "sum launch");
    }

    template <class Key, class Value>
    void stable_sort_pairs(const Key* keys, Key* keys_out, const Value* values, Value* values_out, std::int64_t n,
                           int key_bits) {
        std::size_t bytes = 0;
        check_cuda(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys, keys_out, values, values_out, n, 0, key_bits),
                   "radix sort (size)");
        scratch_.resize(std::max(bytes, scratch_.size()));
        check_cuda(cub::DeviceRadixSort::SortPairs(scratch_.data(), bytes, keys, keys_out, values, values_out, n, 0,
                                                   key_bits),
                   "radix sort");
    }

    // out[0..n]: out[i] = in[0] + ... + in[i - 1]
    void exclusive_scan(const std::int64_t* in, std::int64_t* out, std::int64_t n) {
        check_cuda(cudaMemsetAsync(out, 0, sizeof(std::int64_t)), "cudaMemset");
        if (n <= 0) return;
        std::size_t bytes = 0;
        check_cuda(cub::DeviceScan::InclusiveSum(nullptr, bytes, in, out + 1, n), "scan (size)");
        scratch_.resize(std::max(bytes, scratch_.size()));
        check_cuda(cub::DeviceScan::InclusiveSum(scratch_.data(), bytes, in, out + 1, n), "scan");
    }

    void synchronize() { check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

  private:
    static constexpr int kThreads = 256;
    unsigned blocks_for(std::int64_t threads) const {
        const std::int64_t wanted = (threads + kThreads - 1) / kThreads;
        return static_cast<unsigned>(std::min<std::int64_t>(wanted, std::int64_t{multiprocessors_} * 16));
    }

    int device_ = 0;
    int multiprocessors_ = 1;
    Buffer<unsigned char> scratch_;  // CUB's temporary storage
};

}  // namespace hogwild::gpu
