// A training session: a solver, its data and the caller's model buffers,
// kept between runs. `run(n)` trains n more epochs and continues exactly
// where the last run stopped (row order, schedules, optimizer state, queued
// work), so that 3 runs of 2 epochs give the model of 1 run of 6, bit for
// bit, for the deterministic solvers. Between runs the caller may read the
// model buffers and write them (an all-reduce over MPI, say): a session
// that finds them changed starts its next run from them.
//
// `fit` is one session run to the end (train_solver); the MPI driver keeps
// one session per rank.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/training_session.hpp"

namespace hogwild {

// A solver type S for a session also provides
//   S(const View&, const Targets&, const TrainConfig&, ModelState&)
//   void reload();    continue from the caller's buffers, which the caller wrote
// and, where it keeps a per-coordinate optimizer's state, either
//   CoordinateOptimizer<...>& optimizer();                 its one optimizer, or
//   OptimizerMoments optimizer_moments() const;            (several, e.g. one per replica)
//   void set_optimizer_moments(const OptimizerMoments&);   (sizes checked here)
template <class View, class Solver>
class SolverSession final : public TrainingSession {
  public:
    // The session keeps copies of the views and of the configuration; the
    // buffers they point to must outlive it. `extra` goes to the solver's
    // constructor after the model (e.g. the GPU solver's trainer factory).
    template <class... Extra>
    SolverSession(const View& X, const Targets& targets, const TrainConfig& config, const ModelState& model,
                  const Extra&... extra)
        : X_(X), targets_(targets), config_(config), model_(model), solver_(X_, targets_, config_, model_, extra...),
          driver_(solver_, X_, targets_, config_, model_) {
        remember_model();
    }

    TrainResult run(int epochs, const TrainHooks& hooks) override {
        if (model_written_by_caller()) solver_.reload();
        TrainResult result = driver_.run(epochs, hooks);
        remember_model();
        return result;
    }

    OptimizerMoments optimizer_state() override {
        if constexpr (requires { solver_.optimizer_moments(); })
            return solver_.optimizer_moments();
        else if constexpr (requires { solver_.optimizer(); })
            return solver_.optimizer().moments();
        else
            return {};
    }

    void set_optimizer_state(const OptimizerMoments& state) override {
        const OptimizerMoments now = optimizer_state();
        check_size("first", state.first.size(), now.first.size());
        check_size("second", state.second.size(), now.second.size());
        if constexpr (requires { solver_.set_optimizer_moments(state); })
            solver_.set_optimizer_moments(state);
        else if constexpr (requires { solver_.optimizer(); })
            solver_.optimizer().set_moments(state);
    }

  private:
    static void check_size(const char* name, std::size_t given, std::size_t expected) {
        if (given != expected)
            throw std::invalid_argument(std::string("optimizer state '") + name + "' has " + std::to_string(given) +
                                        " values; this session's optimizer keeps " + std::to_string(expected));
    }

    // The model buffers as they are: weights, intercept and (when averaging)
    // the average weights and intercept, as (pointer, count) pieces.
    template <class Visit>
    void for_each_model_piece(Visit&& visit) const {
        visit(model_.weights, model_.n_features);
        visit(model_.intercept, 1);
        if (config_.step.average > 0) {
            visit(model_.average_weights, model_.n_features);
            visit(model_.average_intercept, 1);
        }
    }
    // (copied into and compared with one buffer, allocated once: a vector
    // made for every copy and comparison cost partial_fit on 2**20 hashed
    // features two allocations of the model's size a call, page faults and all)
    void remember_model() {
        std::size_t size = 0;
        for_each_model_piece([&](const double*, std::int64_t n) { size += static_cast<std::size_t>(n); });
        published_.resize(size);
        double* to = published_.data();
        for_each_model_piece([&](const double* from, std::int64_t n) { to = std::copy(from, from + n, to); });
    }
    bool model_written_by_caller() const {
        // (compared as bits: NaN == NaN, and -0.0 differs from 0.0)
        bool written = false;
        std::size_t at = 0;
        for_each_model_piece([&](const double* from, std::int64_t n) {
            const auto count = static_cast<std::size_t>(n);
            written = written || at + count > published_.size() ||
                      std::memcmp(from, published_.data() + at, count * sizeof(double)) != 0;
            at += count;
        });
        return written || at != published_.size();
    }

    const View X_;
    const Targets targets_;
    const TrainConfig config_;
    ModelState model_;
    Solver solver_;
    EpochDriver<View, Solver> driver_;
    std::vector<double> published_;
};

template <class View, class Solver, class... Extra>
std::unique_ptr<TrainingSession> make_solver_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                     const ModelState& model, const Extra&... extra) {
    return std::make_unique<SolverSession<View, Solver>>(X, targets, config, model, extra...);
}

}  // namespace hogwild
