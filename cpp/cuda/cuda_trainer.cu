// The CUDA module's entry points (cuda_trainer.hpp): the device queries and
// the trainer of gpu/batch_trainer_impl.hpp on the CUDA backend.
#include <cuda_runtime.h>

#include <chrono>
#include <string>

#include "cuda_backend.cuh"
#include "cuda_trainer.hpp"
#include "hogwild/gpu/batch_trainer_impl.hpp"

#ifndef HOGWILD_CUDA_ARCHITECTURES
#define HOGWILD_CUDA_ARCHITECTURES "unknown"
#endif

namespace hogwild::gpu {

int cuda_device_count() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return count;
}

std::string cuda_unavailable_reason() {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status == cudaErrorInsufficientDriver) {
        cudaGetLastError();
        int driver = 0;
        cudaDriverGetVersion(&driver);
        if (driver == 0) return "no CUDA driver was found (cudaErrorInsufficientDriver)";
        return "the CUDA driver (version " + std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10) +
               ") is older than this build's CUDA runtime (" + std::to_string(CUDART_VERSION / 1000) + "." +
               std::to_string(CUDART_VERSION % 1000 / 10) + ")";
    }
    if (status != cudaSuccess) {
        cudaGetLastError();
        return std::string("CUDA reports no usable device (") + cudaGetErrorName(status) + ": " +
               cudaGetErrorString(status) + ")";
    }
    if (count == 0) return "no CUDA device is visible";
    return "";
}

std::string cuda_device_name(int device) {
    const int count = cuda_device_count();
    if (device < 0 || device >= count)
        throw std::out_of_range("CUDA device " + std::to_string(device) + " does not exist; " + std::to_string(count) +
                                " are visible");
    cudaDeviceProp properties{};
    check_cuda(cudaGetDeviceProperties(&properties, device), "cudaGetDeviceProperties");
    return properties.name;
}

std::map<std::string, std::string> cuda_build_info() {
    return {{"cuda_version", std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10)},
            {"cuda_architectures", HOGWILD_CUDA_ARCHITECTURES},
            {"cuda_runtime", "static"}};
}

double cuda_copy_bandwidth(int device, std::int64_t bytes) {
    check_cuda(cudaSetDevice(device), "cudaSetDevice");
    CudaBackend::Buffer<unsigned char> from, to;
    from.resize(static_cast<std::size_t>(bytes));
    to.resize(static_cast<std::size_t>(bytes));
    check_cuda(cudaMemset(from.data(), 1, static_cast<std::size_t>(bytes)), "cudaMemset");
    cudaEvent_t start, stop;
    check_cuda(cudaEventCreate(&start), "cudaEventCreate");
    check_cuda(cudaEventCreate(&stop), "cudaEventCreate");
    constexpr int kCopies = 10;
    check_cuda(cudaMemcpy(to.data(), from.data(), static_cast<std::size_t>(bytes), cudaMemcpyDeviceToDevice), "copy");
    check_cuda(cudaEventRecord(start), "cudaEventRecord");
    for (int c = 0; c < kCopies; ++c)
        check_cuda(cudaMemcpyAsync(to.data(), from.data(), static_cast<std::size_t>(bytes), cudaMemcpyDeviceToDevice),
                   "copy");
    check_cuda(cudaEventRecord(stop), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float milliseconds = 0.0f;
    check_cuda(cudaEventElapsedTime(&milliseconds, start, stop), "cudaEventElapsedTime");
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return 2.0 * static_cast<double>(bytes) * kCopies / (static_cast<double>(milliseconds) * 1e-3);
}

void cuda_limit_device_memory(std::size_t bytes) { device_memory_limit = bytes; }

std::unique_ptr<BatchTrainer> make_cuda_trainer(const MatrixRef& X, const Targets& targets,
                                                const TrainerSettings& settings) {
    const int count = cuda_device_count();
    if (settings.device < 0 || settings.device >= count) {
        const std::string reason = cuda_unavailable_reason();
        throw std::invalid_argument("CUDA device " + std::to_string(settings.device) + " is not available: " +
                                    (reason.empty() ? std::to_string(count) + " are visible" : reason));
    }
    return make_backend_trainer<CudaBackend>(X, targets, settings);
}

}  // namespace hogwild::gpu
