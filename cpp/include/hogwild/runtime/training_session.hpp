// What a caller holds of a solver: a training session (the registry,
// solvers.hpp, makes them; runtime/session.hpp implements them).
#pragma once

#include "hogwild/config.hpp"
#include "hogwild/runtime/optimizer.hpp"

namespace hogwild {

// A solver with its data and the caller's model buffers, kept between runs
// (see runtime/session.hpp): each run trains more epochs, continuing where
// the last one stopped.
class TrainingSession {
  public:
    virtual ~TrainingSession() = default;
    // Trains up to `epochs` more epochs (fewer if the stopping rule, a
    // callback, divergence or an interrupt ends the run).
    virtual TrainResult run(int epochs, const TrainHooks& hooks) = 0;
    // The per-coordinate optimizer's state between runs (n_features + 1
    // values per moment it keeps, the intercept's last; empty where it
    // keeps none, as for plain sgd). local/easgd: the replicas' mean, and
    // writing it sets every replica's.
    virtual OptimizerMoments optimizer_state() = 0;
    // Writes the state read by optimizer_state() (std::invalid_argument on
    // other sizes); the next run continues from it.
    virtual void set_optimizer_state(const OptimizerMoments& state) = 0;
};

}  // namespace hogwild
