// Deterministic Hogwild! (deterministic=True with several threads): the
// replica solver (replica_solver.cpp) summing the replicas' changes at
// fixed points; make_hogwild_session hands over to it.
#pragma once

#include <memory>

#include "hogwild/config.hpp"
#include "hogwild/runtime/training_session.hpp"

namespace hogwild {

template <class View>
std::unique_ptr<TrainingSession> make_deterministic_hogwild_session(const View& X, const Targets& targets,
                                                                    const TrainConfig& config, const ModelState& model);

}  // namespace hogwild
