// Training sessions of the synchronous solvers (minibatch, gd) whose steps
// run in a BatchTrainer (gpu/batch_trainer.hpp): on a GPU, or in its CPU
// emulation. Everything but the steps is the CPU solvers' own: the epoch
// driver (row order, schedule, stopping rule, callbacks, validation), the
// step constants, the published model.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "hogwild/config.hpp"
#include "hogwild/gpu/batch_trainer.hpp"
#include "hogwild/runtime/training_session.hpp"

namespace hogwild::gpu {

// A session of solver "minibatch" or "gd" (else std::invalid_argument)
// whose trainer `factory` makes; `reduction` and `device` go to the trainer.
template <class View>
std::unique_ptr<TrainingSession> make_device_session(std::string_view solver, const View& X, const Targets& targets,
                                                     const TrainConfig& config, const ModelState& model,
                                                     const TrainerFactory& factory, Reduction reduction, int device);

// make_device_session as a session maker of the bindings' Session (one
// generic call for every view type), the reduction given by its name.
inline auto device_session_maker(std::string solver, TrainerFactory factory, const std::string& reduction,
                                 int device) {
    return [solver = std::move(solver), factory = std::move(factory), kind = reduction_from_name(reduction),
            device](const auto& view, const Targets& targets, const TrainConfig& config, const ModelState& model) {
        return make_device_session(solver, view, targets, config, model, factory, kind, device);
    };
}

}  // namespace hogwild::gpu
