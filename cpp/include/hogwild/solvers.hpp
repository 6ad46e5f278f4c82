// Entry points of the solvers. Each is instantiated for every supported
// data layout (see cpp/src/*_solver.cpp); the bindings pick one at run time.
#pragma once

#include "hogwild/config.hpp"

namespace hogwild {

// One thread, scikit-learn's algorithm step for step: the reference.
template <class View>
TrainResult train_sequential(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                             const TrainHooks& hooks);

// Hogwild!: config.n_threads threads share one weight vector without locks.
template <class View>
TrainResult train_hogwild(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                          const TrainHooks& hooks);

// Local SGD: private replicas replaced by their mean every sync_every rows.
template <class View>
TrainResult train_local(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                        const TrainHooks& hooks);

// EASGD: private replicas tied to a center variable by elastic forces.
template <class View>
TrainResult train_easgd(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                        const TrainHooks& hooks);

// Asynchronous mini-batch SGD with bounded (optionally staleness-aware) staleness.
template <class View>
TrainResult train_async(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                        const TrainHooks& hooks);

// Buckwild!: Hogwild! on int8 / int16 fixed-point or bfloat16 shared weights.
template <class View>
TrainResult train_buckwild(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                           const TrainHooks& hooks);

// Synchronous parallel mini-batch SGD: one optimizer step per batch of
// config.batch_size rows, the batch gradient reduced in a fixed order, so the
// model is the same for any number of threads.
template <class View>
TrainResult train_minibatch(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                            const TrainHooks& hooks);

// Full-batch gradient descent: one optimizer step per epoch on the gradient
// over every training row, computed in parallel, the same for any number of
// threads.
template <class View>
TrainResult train_gd(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                     const TrainHooks& hooks);

}  // namespace hogwild
