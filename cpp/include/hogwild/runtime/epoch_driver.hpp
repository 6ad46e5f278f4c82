// The one epoch loop of the parallel solvers, and the one epoch end of all
// of them.
//
// A parallel solver implements only its share of an epoch and how it
// publishes the model; the driver owns the rest: the thread team (pinning,
// interruption, exceptions), the row order, the epoch-wise learning rate,
// the clock of scikit-learn's t, and after each epoch the record, the
// divergence check, the validation score, the callback and the stopping rule.
//
// A solver type S provides
//   int n_threads() const;             the threads it runs on
//   void work(int tid, int team, const Epoch&, ThreadTeam&);
//                                      every thread: its share of the epoch; it looks at
//                                      team.stop_at / stop_after as it goes
//   EpochOutcome publish(const Epoch&);
//                                      thread 0, after every thread's work: writes the model
//                                      (weights, intercept, averages) into the caller's buffers
// and may provide
//   void start_epoch(const Epoch&);    thread 0, before the epoch's work (all threads wait), after the
//                                      previous epoch's end
//   void start_run(const TrainHooks&); the calling thread, before a run's team starts (the
//                                      hooks it keeps for the run, e.g. sum_across_processes)
//   ThreadPlacement placement() const; where its threads run (default: packed_placement)
//   int node_replicas() const;         model replicas it keeps, one per NUMA node (0: none)
//   bool uses_row_order() const;       false: its epochs need no (shuffled) row order
//   void finish_run();                 the calling thread, after the last epoch of a run that
//                                      ended normally: complete pending work (e.g. queued
//                                      gradients) and publish again (solvers complete it in
//                                      the epoch marked `last` already, so that the last
//                                      callback sees the final model; this is for runs the
//                                      stopping rule or a callback ended sooner)
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "hogwild/config.hpp"
#include "hogwild/linear/penalty.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "hogwild/runtime/thread_team.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/runtime/stopping_rule.hpp"

namespace hogwild {

// What a solver is told about the epoch it runs.
struct Epoch {
    int index = 0;                       // 0-based, within this training run
    double eta = 0.0;                    // the epoch-wise rate (exponential, step, adaptive; else eta0;
                                         // decay_on_plateau: its C, infinite before the plateau)
    double t_start = 1.0;                // scikit-learn's t at the epoch's first update
    bool last = false;                   // the run's last by max_iter (the stopping rule may end it sooner)
    const std::int64_t* rows = nullptr;  // the epoch's row order (X.n_rows positions)
};

// The model as it stands after an epoch: `weights` times `scale` are the
// coefficients (the sequential solver keeps a scale factor);
// `callback_weights` are the same coefficients unscaled, for the callback.
struct PublishedModel {
    std::int64_t n_features = 0;
    const double* weights = nullptr;
    double scale = 1.0;
    double intercept = 0.0;
    const double* callback_weights = nullptr;
    const double* average_weights = nullptr;  // null unless averaging
    double average_intercept = 0.0;
    // score the validation rows as scikit-learn's SGD does (the sequential
    // solver): on its stored vector (weights.base) without the scale, and
    // under the log loss against 0/1 labels with -1/+1 predictions, so that
    // no negative row counts as correct (see stopping_rule.hpp)
    bool sklearn_validation = false;

    static PublishedModel of(const ModelState& model, bool averaging) {
        return PublishedModel{model.n_features,
                              model.weights,
                              1.0,
                              *model.intercept,
                              model.weights,
                              averaging ? model.average_weights : nullptr,
                              averaging ? *model.average_intercept : 0.0};
    }
};

// What a solver reports once its epoch is published.
struct EpochOutcome {
    double loss_sum = 0.0;  // summed loss of the epoch's updates, each taken before its step
    double updates = 0.0;   // examples processed (scikit-learn's t advances by this)
    EpochRecord record;     // solver-specific figures (e.g. staleness); the rest is filled in
    // what the stopping rule compares (NaN: the epoch's objective)
    double stopping_objective = std::numeric_limits<double>::quiet_NaN();
    bool objective_must_be_finite = true;  // (see EpochFigures)
    // the model the epoch end evaluates, when not the caller's buffers as published
    PublishedModel evaluated;
};

// Figures of a finished epoch besides the model.
struct EpochFigures {
    int index = 0;
    double loss_sum = 0.0;
    double updates = 0.0;
    double seconds = 0.0;
    double t = 1.0;  // scikit-learn's t after the epoch
    // what the stopping rule compares (NaN: the epoch's objective)
    double stopping_objective = std::numeric_limits<double>::quiet_NaN();
    // an objective that overflowed means divergence (the parallel solvers);
    // the sequential solver checks the weights only, as scikit-learn does
    bool objective_must_be_finite = true;
};

// Record the epoch, detect divergence, score the validation rows, call the
// epoch callback and apply the stopping rule. Returns true when training
// stops after this epoch.
template <class View>
bool end_epoch(TrainResult& result, StoppingRule& stopping, const TrainHooks& hooks, const View& X,
               const Targets& targets, const TrainConfig& config, const PublishedModel& model,
               const EpochFigures& figures, EpochRecord record = {}) {
    result.n_iter = figures.index + 1;
    record.updates = static_cast<std::int64_t>(figures.updates);
    record.seconds = figures.seconds;
    record.examples_per_second = figures.seconds > 0.0 ? figures.updates / figures.seconds : 0.0;
    record.objective = (figures.updates > 0 ? figures.loss_sum / figures.updates : 0.0) +
                       penalty_value(config, model.weights, model.n_features, model.scale);
    const bool finite_model = std::isfinite(model.intercept) && all_finite(model.weights, model.n_features);
    if (!finite_model || (figures.objective_must_be_finite && !std::isfinite(record.objective))) {
        result.diverged = true;
        result.history.push_back(record);
        return true;
    }
    if (config.stopping.early_stopping)
        record.validation_score =
            validation_score(X, targets, config.objective.classifier, model.weights,
                             model.sklearn_validation ? 1.0 : model.scale, model.intercept,
                             model.sklearn_validation && config.objective.loss.kind == Loss::log_loss);
    result.history.push_back(record);
    if (hooks.after_epoch) {
        const EpochSnapshot snapshot{figures.index + 1,     &result.history.back(), figures.t,
                                     model.n_features,      model.callback_weights, model.intercept,
                                     model.average_weights, model.average_intercept};
        if (!hooks.after_epoch(snapshot)) {
            result.stopped_by_callback = true;
            return true;
        }
    }
    if (hooks.stop_requested != nullptr && hooks.stop_requested->load(std::memory_order_relaxed)) {
        result.stopped_by_callback = true;
        return true;
    }
    const double compared = std::isnan(figures.stopping_objective) ? record.objective : figures.stopping_objective;
    result.converged = stopping.after_epoch(compared, record.validation_score);
    return result.converged;
}

// Runs a solver's epochs. It keeps what continues from one run to the next
// (the row order, the stopping rule, the epochs done and scikit-learn's t), so
// that a training session can run some epochs, hand its model over, and go
// on exactly as one longer run would.
template <class View, class Solver>
class EpochDriver {
  public:
    EpochDriver(Solver& solver, const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : solver_(solver),
          X_(X),
          targets_(targets),
          config_(config),
          model_(model),
          order_(X.n_rows, config.sampling.shuffle_block_size, config.sampling.seed,
                 config.sampling.shuffle_buffer_blocks),
          stopping_(config),
          plateau_(config.step.plateau),
          t_(config.step.t_start) {}

    // Runs up to `max_epochs` epochs on the solver's threads; the stopping
    // rule, the callback, divergence or an interrupt may end the run sooner.
    TrainResult run(int max_epochs, const TrainHooks& hooks) {
        using Clock = std::chrono::steady_clock;
        if constexpr (requires { solver_.start_run(hooks); })
            solver_.start_run(hooks);
        else if (hooks.sum_across_processes)
            throw std::invalid_argument("this solver does not train across processes (sum_across_processes)");
        ThreadTeam team(placement(), config_.parallel.pin_threads, hooks.interrupted);
        team.report_progress(hooks.within_epoch, X_.n_rows);
        TrainResult result;
        result.threads_used = team.size();
        Epoch epoch;
        bool stop = false;
        Clock::time_point started;

        // Two barriers an epoch: thread 0 prepares the next epoch in the same
        // stretch as it ends this one. A barrier waits for the slowest thread,
        // and next to a busy program that is one the scheduler has set aside
        // for a while: a third barrier for the epoch's start made small fits
        // on a busy machine slower.
        auto start_epoch = [&](int e) {
            started = Clock::now();
            team.start_epoch_progress();
            if (uses_row_order()) order_.next_epoch(config_.sampling.shuffle);
            epoch.index = e;
            epoch.eta = config_.step.decay_on_plateau ? plateau_.decay
                                                      : epoch_rate(config_, epochs_done_, stopping_.adaptive_eta());
            epoch.t_start = t_;
            epoch.rows = order_.rows();
            epoch.last = e + 1 == max_epochs;
            if constexpr (requires { solver_.start_epoch(epoch); })
                team.guarded([&] { solver_.start_epoch(epoch); });
        };
        team.run([&](int tid, int team_size) {
            if (tid == 0 && max_epochs > 0) start_epoch(0);
#pragma omp barrier
            for (int e = 0; e < max_epochs; ++e) {
                solver_.work(tid, team_size, epoch, team);
                if (tid == 0) team.poll_interrupt();  // at least once an epoch, however short
#pragma omp barrier
                if (tid == 0) {
                    if (team.stop_requested()) {
                        result.interrupted = !team.failed();  // (else the exception ends training)
                        stop = true;
                    } else {
                        team.guarded([&] { stop = end_of_epoch(result, epoch, hooks, started); });
                        stop = stop || team.failed();
                    }
                    if (hooks.sum_across_processes) stop = stops_anywhere(stop, hooks, team);
                    if (!stop && e + 1 < max_epochs) start_epoch(e + 1);
                }
#pragma omp barrier
                if (stop) break;
            }
        });
        if constexpr (requires { solver_.finish_run(); }) {
            if (!result.interrupted && !result.diverged && result.n_iter > 0) {
                solver_.finish_run();
                if (!std::isfinite(*model_.intercept) || !all_finite(model_.weights, model_.n_features))
                    result.diverged = true;
            }
        }
        if constexpr (requires { solver_.hot_features_used(); }) result.hot_features_used = solver_.hot_features_used();
        if constexpr (requires { solver_.node_replicas(); }) result.node_replicas = solver_.node_replicas();
        if constexpr (requires { solver_.data_placement(); }) result.data_placement = solver_.data_placement();
        result.thread_cpus = team.ran_on();
        result.thread_nodes = team.placement().node_ids;
        result.topology = team.placement().topology;
        result.t = t_;
        result.plateau = plateau_;
        return result;
    }

  private:
    // Across processes, every epoch ends with a vote: one process that
    // stops (interrupted, its callback, its stopping rule) stops them all
    // after the same epoch, rather than leave the others waiting in the
    // next epoch's sums. A failed vote stops this one.
    static bool stops_anywhere(bool stop, const TrainHooks& hooks, ThreadTeam& team) {
        if (team.failed()) return true;  // (a failed sum: this process raises, the others' sums time out)
        double stopping = stop ? 1.0 : 0.0;
        bool voted = false;
        team.guarded([&] {
            hooks.sum_across_processes(&stopping, 1);
            voted = true;
        });
        return !voted || stopping > 0.0;
    }

    // Where the threads run: the solver's own placement (one that keeps a
    // replica per node spreads its threads over the nodes), else packed.
    ThreadPlacement placement() const {
        if constexpr (requires { solver_.placement(); }) return solver_.placement();
        return packed_placement(config_.parallel, solver_.n_threads());
    }

    // (gd visits every row in data order: its epochs need no shuffle)
    bool uses_row_order() const {
        if constexpr (requires { solver_.uses_row_order(); }) return solver_.uses_row_order();
        return true;
    }

    template <class TimePoint>
    bool end_of_epoch(TrainResult& result, const Epoch& epoch, const TrainHooks& hooks, TimePoint started) {
        const EpochOutcome outcome = solver_.publish(epoch);
        t_ += outcome.updates;
        ++epochs_done_;
        EpochFigures figures;
        figures.index = epoch.index;
        figures.loss_sum = outcome.loss_sum;
        figures.updates = outcome.updates;
        figures.seconds = std::chrono::duration<double>(decltype(started)::clock::now() - started).count();
        figures.t = t_;
        figures.stopping_objective = outcome.stopping_objective;
        figures.objective_must_be_finite = outcome.objective_must_be_finite;
        const PublishedModel published =
            outcome.evaluated.weights != nullptr ? outcome.evaluated : PublishedModel::of(model_, config_.step.average > 0);
        const bool stop = end_epoch(result, stopping_, hooks, X_, targets_, config_, published, figures, outcome.record);
        if (config_.step.decay_on_plateau && !result.history.empty()) note_plateau(result.history.back().objective);
        if (config_.step.restart_momentum && !result.history.empty()) note_objective(result.history.back().objective);
        return stop;
    }

    // decay_on_plateau: the step is min(rate(t), C / t), C infinite until an
    // epoch's objective improves on the best before it by less than
    // kPlateauImprovement of it; C is then the step at that epoch's end
    // times t, and from there the step falls as 1 / t. The "optimal" rate's
    // own 1 / (alpha (t0 + t)) starts to fall only after t0 = 1 / (alpha
    // eta0) updates, on small data many epochs (heart_scale's 216 training
    // rows: 136), and until then SGD's noise sets the suboptimality.
    // The state carries over between calls (config.step.plateau in,
    // TrainResult::plateau out), so that a partial_fit continues a fit's decay.
    void note_plateau(double objective) {
        if (std::isfinite(plateau_.decay)) return;
        if (++plateau_.epochs >= 2 && std::isfinite(objective) &&
            objective > plateau_.best_objective - kPlateauImprovement * std::abs(plateau_.best_objective))
            plateau_.decay = schedule_.at(t_, std::numeric_limits<double>::infinity()) * t_;
        plateau_.best_objective = std::min(plateau_.best_objective, objective);
    }
    static constexpr double kPlateauImprovement = 1e-3;

    // restart_momentum (gd with momentum or nesterov): after an epoch whose
    // objective rose above the epoch's before, the solver sets its velocity
    // to zero (the function scheme of adaptive restart: O'Donoghue &
    // Candes, "Adaptive restart for accelerated gradient schemes", Found.
    // Comput. Math. 2015). Heavy-ball momentum at the step 1 / L circles
    // the optimum (the objective rose and fell with a period of about 6
    // epochs, and the stopping rule read the swings as a stall: R^2 0.6 after
    // 8 epochs on a ridge problem scikit-learn solves to 1.0).
    void note_objective(double objective) {
        if constexpr (requires { solver_.restart_momentum(); }) {
            if (objective > last_objective_) solver_.restart_momentum();
        }
        last_objective_ = objective;
    }

    Solver& solver_;
    const View& X_;
    const Targets& targets_;
    const TrainConfig& config_;
    ModelState& model_;
    RowOrder order_;
    StoppingRule stopping_;
    const StepSchedule schedule_ = StepSchedule::from(config_);
    PlateauState plateau_;  // (decay_on_plateau: see note_plateau)
    double last_objective_ = std::numeric_limits<double>::infinity();  // (restart_momentum: see note_objective)
    double t_;             // scikit-learn's t: updates so far + 1
    int epochs_done_ = 0;  // by earlier runs too (epoch-wise rates continue)
};

// Runs `solver`'s epochs until max_iter, the stopping rule, the callback,
// divergence or an interrupt ends training.
template <class View, class Solver>
TrainResult run_epochs(Solver& solver, const View& X, const Targets& targets, const TrainConfig& config,
                       ModelState& model, const TrainHooks& hooks) {
    return EpochDriver<View, Solver>(solver, X, targets, config, model).run(config.stopping.max_iter, hooks);
}

}  // namespace hogwild
