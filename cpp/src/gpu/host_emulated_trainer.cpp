// The GPU trainer's CPU emulation (gpu/host_backend.hpp): the same kernel
// bodies as cpp/cuda/, run by host loops, for tests without a GPU.
#include "hogwild/gpu/batch_trainer_impl.hpp"
#include "hogwild/gpu/host_backend.hpp"

namespace hogwild::gpu {

std::unique_ptr<BatchTrainer> make_host_emulated_trainer(const MatrixRef& X, const Targets& targets,
                                                         const TrainerSettings& settings) {
    return make_backend_trainer<HostBackend>(X, targets, settings);
}

std::unique_ptr<BatchTrainer> make_host_emulated_warp_trainer(const MatrixRef& X, const Targets& targets,
                                                              const TrainerSettings& settings) {
    return make_backend_trainer<HostWarpBackend>(X, targets, settings);
}

}  // namespace hogwild::gpu
