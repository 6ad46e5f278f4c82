// The CUDA module's entry points, as plain C++ declarations: the bindings
// (cpp/bindings/cuda_module.cpp) compile without nvcc and see no CUDA type.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "hogwild/gpu/batch_trainer.hpp"

namespace hogwild::gpu {

// The device lacks the memory a trainer needs; says how much it asked for
// and how much was free (the bindings raise it as MemoryError).
struct DeviceMemoryError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// CUDA devices this process sees; 0 where there is no driver or device.
int cuda_device_count();
// Why no device can be used ("" when one can): no driver, a driver older
// than this build's runtime, or no device.
std::string cuda_unavailable_reason();
std::string cuda_device_name(int device);
// The CUDA runtime's version, the architectures compiled for, the runtime's linkage.
std::map<std::string, std::string> cuda_build_info();
// Bytes per second of a device-to-device copy of `bytes` bytes, counting
// the bytes read and written (the device's own bandwidth, for benchmarks).
double cuda_copy_bandwidth(int device, std::int64_t bytes);

// Caps the bytes the trainers may hold on the device together (0: no cap
// but the device's memory), so that tests can reach the out-of-memory error.
void cuda_limit_device_memory(std::size_t bytes);

// A trainer whose data, model and steps live on CUDA device settings.device.
std::unique_ptr<BatchTrainer> make_cuda_trainer(const MatrixRef& X, const Targets& targets,
                                                const TrainerSettings& settings);

}  // namespace hogwild::gpu
