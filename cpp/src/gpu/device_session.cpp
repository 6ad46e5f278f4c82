// The host's half of the GPU solvers (gpu/device_session.hpp): the
// synchronous solvers' bookkeeping, one step at a time handed to a
// BatchTrainer. It computes each step's constants exactly as
// solvers/synchronous_solver.cpp does, so that the two learn the same model.

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "hogwild/gpu/device_session.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/optimizer.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/solver_problem.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "../solvers/data_layouts.hpp"

namespace hogwild::gpu {

namespace {

template <class View>
MatrixRef matrix_ref(const View& X) {
    MatrixRef ref;
    using Value = typename View::value_type;
    ref.double_values = std::is_same_v<Value, double>;
    ref.values = X.data;
    ref.n_rows = X.n_rows;
    ref.n_cols = X.n_cols;
    ref.nnz = X.nnz();
    if constexpr (std::is_same_v<typename View::Row, DenseRow<Value>>) {
        ref.sparse = false;
    } else {
        ref.indices = X.indices;
        ref.indptr = X.indptr;
        ref.int64_indices = sizeof(*X.indices) == 8;
    }
    return ref;
}

template <class View>
class DeviceBatchSolver {
  public:
    DeviceBatchSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model,
                      const TrainerFactory& factory, bool full_batch, Reduction reduction, int device)
        : problem_(X, targets, config, model),
          full_batch_(full_batch),
          averaging_(config.step.average > 0),
          cumulative_l1_(config.step.optimizer == Optimizer::sgd && problem_.strength.l1 > 0.0),
          rule_(optimizer_rule(config)) {
        if (is_passive_aggressive(config.step.learning_rate))
            throw std::invalid_argument("the minibatch and gd solvers do not support passive-aggressive steps");
        if (config.solver.batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
        n_train_ = count_training_rows(targets, X.n_rows);
        batch_size_ = full_batch_ ? std::max<std::int64_t>(1, n_train_)
                                  : std::min(config.solver.batch_size, std::max<std::int64_t>(1, n_train_));
        batches_per_epoch_ = (n_train_ + batch_size_ - 1) / batch_size_;
        steps_before_call_ = static_cast<double>(config.step.epoch_start) * static_cast<double>(batches_per_epoch_);
        samples_at_epoch_start_ = config.step.t_start;

        TrainerSettings settings;
        settings.loss = config.objective.loss;
        settings.weight_pos = config.objective.weight_pos;
        settings.weight_neg = config.objective.weight_neg;
        settings.fit_intercept = config.objective.fit_intercept;
        settings.intercept_decay = config.objective.intercept_decay;
        settings.rule = rule_;
        settings.strength = problem_.strength;
        settings.cumulative_l1 = cumulative_l1_;
        settings.averaging = averaging_;
        settings.reduction = reduction;
        settings.max_batch_rows = batch_size_;
        settings.device = device;
        trainer_ = factory(matrix_ref(X), targets, settings);
        reload();
    }

    int n_threads() const { return 1; }  // (the device's threads are the trainer's)

    void reload() {
        trainer_->upload_model(problem_.model.weights, *problem_.model.intercept);
        if (averaging_)
            trainer_->start_averages(problem_.model.average_weights, *problem_.model.average_intercept,
                                     averaging_clock(samples_at_epoch_start_ - 1.0));
    }

    bool uses_row_order() const { return !full_batch_; }

    void start_epoch(const Epoch& epoch) {
        epoch_eta_ = epoch.eta;
        if (full_batch_ && gathered_) return;  // (gd: data order, gathered once)
        std::int64_t* rows = trainer_->epoch_rows();
        std::int64_t n = 0;
        for (std::int64_t position = 0; position < problem_.X.n_rows; ++position) {
            const std::int64_t i = full_batch_ || epoch.rows == nullptr ? position : epoch.rows[position];
            if (is_training_row(problem_.targets, i)) rows[n++] = i;
        }
        trainer_->start_epoch();
        gathered_ = true;
    }

    void work(int, int, const Epoch&, ThreadTeam& team) {
        double l1_total = l1_total_;
        for (std::int64_t batch = 0; batch < batches_per_epoch_; ++batch) {
            BatchStep step = step_for(batch);
            if (cumulative_l1_) l1_total += step.optimizer.eta * problem_.strength.l1;
            step.l1_total = l1_total;
            trainer_->step(step);
            if (team.stop_after(0, step.n_rows)) break;  // (an interrupt: the epoch is not published)
        }
        epoch_loss_sum_ = trainer_->finish_epoch();
        l1_total_at_epoch_end_ = l1_total;
    }

    EpochOutcome publish(const Epoch&) {
        l1_total_ = l1_total_at_epoch_end_;
        steps_at_epoch_start_ += batches_per_epoch_;
        samples_at_epoch_start_ += static_cast<double>(n_train_);
        trainer_->download_model(problem_.model.weights, problem_.model.intercept);
        if (averaging_)
            trainer_->publish_averages(averaging_clock(samples_at_epoch_start_ - 1.0), problem_.model.average_weights,
                                       problem_.model.average_intercept);
        EpochOutcome outcome;
        outcome.loss_sum = epoch_loss_sum_;
        outcome.updates = static_cast<double>(n_train_);
        return outcome;
    }

    OptimizerMoments optimizer_moments() { return trainer_->moments(); }
    // The velocity of momentum / nesterov set to zero (EpochDriver::note_objective), as the CPU's gd does.
    void restart_momentum() {
        OptimizerMoments moments = trainer_->moments();
        std::fill(moments.first.begin(), moments.first.end(), 0.0);
        trainer_->set_moments(moments);
    }
    void set_optimizer_moments(const OptimizerMoments& moments) { trainer_->set_moments(moments); }

  private:
    double averaging_clock(double t) const { return hogwild::averaging_clock(problem_.config, t); }

    // The step's constants, as SynchronousSolver::step_for computes them.
    BatchStep step_for(std::int64_t batch) const {
        BatchStep step;
        step.first = batch * batch_size_;
        step.n_rows = std::min(batch_size_, n_train_ - step.first);
        const double t = steps_before_call_ + static_cast<double>(steps_at_epoch_start_ + batch) + 1.0;
        const double eta = problem_.schedule.at(t, epoch_eta_);
        step.optimizer = optimizer_step(rule_, eta, t);
        step.l2_step = problem_.strength.times(eta).l2;
        if (averaging_) {
            const double t_first = samples_at_epoch_start_ + static_cast<double>(step.first);
            step.average_clock_before = averaging_clock(t_first - 1.0);
            step.average_clock_after = averaging_clock(t_first + static_cast<double>(step.n_rows) - 1.0);
        }
        return step;
    }

    const SolverProblem<View> problem_;
    const bool full_batch_;
    const bool averaging_;
    const bool cumulative_l1_;
    const OptimizerRule rule_;
    std::unique_ptr<BatchTrainer> trainer_;
    std::int64_t n_train_ = 0;
    std::int64_t batch_size_ = 1;
    std::int64_t batches_per_epoch_ = 0;
    double steps_before_call_ = 0.0;
    std::int64_t steps_at_epoch_start_ = 0;
    double samples_at_epoch_start_ = 1.0;
    double epoch_eta_ = 0.0;
    double epoch_loss_sum_ = 0.0;
    double l1_total_ = 0.0;  // the cumulative L1 penalty's u at the epoch's start
    double l1_total_at_epoch_end_ = 0.0;
    bool gathered_ = false;
};

}  // namespace

template <class View>
std::unique_ptr<TrainingSession> make_device_session(std::string_view solver, const View& X, const Targets& targets,
                                                     const TrainConfig& config, const ModelState& model,
                                                     const TrainerFactory& factory, Reduction reduction, int device) {
    if (solver != "minibatch" && solver != "gd")
        throw std::invalid_argument("the GPU trains with the solvers 'minibatch' and 'gd', not '" + std::string(solver) +
                                    "'");
    const bool full_batch = solver == "gd";
    return make_solver_session<View, DeviceBatchSolver<View>>(X, targets, config, model, factory, full_batch, reduction,
                                                              device);
}

#define HOGWILD_INSTANTIATE_DEVICE_SESSION(View)                                                                      \
    template std::unique_ptr<TrainingSession> make_device_session<View>(                                            \
        std::string_view, const View&, const Targets&, const TrainConfig&, const ModelState&, const TrainerFactory&, \
        Reduction, int);
HOGWILD_INSTANTIATE_DEVICE_SESSION(layouts::CsrF32I32)
HOGWILD_INSTANTIATE_DEVICE_SESSION(layouts::CsrF32I64)
HOGWILD_INSTANTIATE_DEVICE_SESSION(layouts::CsrF64I32)
HOGWILD_INSTANTIATE_DEVICE_SESSION(layouts::CsrF64I64)
HOGWILD_INSTANTIATE_DEVICE_SESSION(layouts::DenseF32)
HOGWILD_INSTANTIATE_DEVICE_SESSION(layouts::DenseF64)

}  // namespace hogwild::gpu
