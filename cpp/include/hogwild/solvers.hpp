// The solver registry: every solver's name, what it supports, and its entry
// point (a factory of training sessions), in one table
// (HOGWILD_FOR_EACH_SOLVER). The table drives
//  * the declarations of the entry points below,
//  * their explicit instantiation for every data layout (each solver's
//    source file says HOGWILD_INSTANTIATE_SOLVER(its entry point)),
//  * the run-time dispatch by name (make_session, train_solver), which
//    refuses an unknown name, and
//  * the list the Python layer reads (hogwild._core.solvers()).
// Adding a solver: its header and source file, and one line here.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hogwild/config.hpp"
#include "hogwild/runtime/training_session.hpp"

namespace hogwild {

// What a solver supports, as the Python layer needs to know it.
struct SolverInfo {
    const char* name;
    bool parallel;            // runs config.parallel.n_threads threads
    bool optimizers;          // takes a per-coordinate optimizer (optimizer != "sgd")
    bool passive_aggressive;  // takes learning_rate "pa1" / "pa2" (one example at a time)
    const char* deterministic;  // "always", "per thread count" or "with one thread"
    const char* summary;
};

// S(name, entry point, parallel, optimizers, passive_aggressive, deterministic, summary)
#define HOGWILD_FOR_EACH_SOLVER(S)                                                                          \
    S(hogwild, make_hogwild_session, true, true, true, "with one thread",                                         \
      "Hogwild!: threads update one shared weight vector without locks")                                   \
    S(sequential, make_sequential_session, false, false, true, "always",                                          \
      "one thread, scikit-learn's algorithm step for step")                                                \
    S(local, make_local_session, true, true, true, "per thread count",                                            \
      "local SGD: private replicas replaced by their mean every sync_every rows")                          \
    S(easgd, make_easgd_session, true, true, true, "per thread count",                                            \
      "elastic averaging SGD: private replicas tied to a center variable")                                 \
    S(async, make_async_session, true, true, false, "with one thread",                                            \
      "asynchronous mini-batch SGD with bounded, optionally staleness-aware staleness")                    \
    S(buckwild, make_buckwild_session, true, true, true, "with one thread",                                       \
      "Buckwild!: Hogwild! on int8 / int16 fixed-point or bfloat16 weights")                               \
    S(minibatch, make_minibatch_session, true, true, false, "always",                                             \
      "synchronous mini-batch SGD, the batch gradient reduced in a fixed order")                           \
    S(gd, make_gd_session, true, true, false, "always", "full-batch gradient descent, reduced in a fixed order")

// The session keeps copies of the views, targets, configuration and model
// pointers; the buffers they point to must outlive it.
#define HOGWILD_DECLARE_SOLVER(name, function, ...)                                                   \
    template <class View>                                                                             \
    std::unique_ptr<TrainingSession> function(const View& X, const Targets& targets, const TrainConfig& config, \
                                              const ModelState& model);
HOGWILD_FOR_EACH_SOLVER(HOGWILD_DECLARE_SOLVER)
#undef HOGWILD_DECLARE_SOLVER

#define HOGWILD_SOLVER_INFO(name, function, parallel, optimizers, passive_aggressive, deterministic, summary) \
    SolverInfo{#name, parallel, optimizers, passive_aggressive, deterministic, summary},
inline constexpr SolverInfo kSolvers[] = {HOGWILD_FOR_EACH_SOLVER(HOGWILD_SOLVER_INFO)};
#undef HOGWILD_SOLVER_INFO

// The registered solver of this name, or std::invalid_argument naming the known ones.
inline const SolverInfo& find_solver(std::string_view name) {
    for (const SolverInfo& info : kSolvers)
        if (name == info.name) return info;
    std::string known;
    for (const SolverInfo& info : kSolvers) known += std::string(known.empty() ? "" : ", ") + "'" + info.name + "'";
    throw std::invalid_argument("unknown solver '" + std::string(name) + "'; the solvers are " + known);
}

// A session of the solver of this name.
template <class View>
std::unique_ptr<TrainingSession> make_session(std::string_view name, const View& X, const Targets& targets,
                                              const TrainConfig& config, const ModelState& model) {
#define HOGWILD_DISPATCH_SOLVER(solver_name, function, ...) \
    if (name == #solver_name) return function(X, targets, config, model);
    HOGWILD_FOR_EACH_SOLVER(HOGWILD_DISPATCH_SOLVER)
#undef HOGWILD_DISPATCH_SOLVER
    find_solver(name);  // throws: unknown
    return nullptr;
}

// Trains with the solver of this name until config.stopping.max_iter epochs (or the
// stopping rule, a callback, divergence or an interrupt), in place.
template <class View>
TrainResult train_solver(std::string_view name, const View& X, const Targets& targets, const TrainConfig& config,
                         ModelState& model, const TrainHooks& hooks) {
    return make_session(name, X, targets, config, model)->run(config.stopping.max_iter, hooks);
}

}  // namespace hogwild
