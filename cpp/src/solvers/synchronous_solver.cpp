// The synchronous solvers: parallel mini-batch SGD ("minibatch") and
// full-batch gradient descent ("gd"). Threads share the work of each step
// but never its outcome: every step sees the same weights on every thread,
// and the learned model is bit for bit the same for any number of threads.
//
// One step over a batch of rows (config.solver.batch_size rows of the epoch's row
// order, or, for gd, every training row in data order):
//  1. Each row's loss derivative d_i = loss'(x_i.w + b, y_i) x weights is
//     computed by one thread (threads split the batch's rows).
//  2. The batch gradient sum_i d_i x_ij of feature j is summed in row order
//     by the one thread that owns feature j: threads own contiguous feature
//     ranges with about equal numbers of nonzeros, and each scans the whole
//     batch, keeping only its own features. That costs every thread a pass
//     over the batch's nonzeros, but needs no per-thread dense buffers and
//     gives sums that do not depend on the thread count. (For minibatch on
//     sparse data with several threads, phase 1 instead hands each owner
//     its features' contributions d_i x_ij, grouped by owner in row order,
//     so that an owner reads only its share; the sums are the same, term
//     for term.) The owner then
//     applies the optimizer to its features (the mean gradient, eta from
//     the schedule). The intercept's gradient is summed in row order by the
//     calling thread.
//
// Regularization. On dense data the penalty's gradient is applied to every
// coordinate at every step. On sparse data a step touches only the
// coordinates that occur in its rows, and each row containing feature j
// contributes the penalty's gradient scaled by n_train / (training rows
// containing j), as the hogwild solver does: in expectation over a batch (and
// exactly over a full gd batch) this is the penalty of the whole objective,
// and a step costs O(nonzeros of its rows), not O(features). (A feature that
// no training row contains is therefore never regularized; its gradient is
// zero and it keeps its initial weight.) The step is the one update rule of
// math/update_rule.hpp: with the plain sgd optimizer the penalty's proximal
// map after the loss's step (it cannot overshoot, however large a rare
// feature's scaled strength), with the other optimizers the penalty's
// (sub)gradient added to the loss gradient.
//
// Across processes (hogwild.distributed, mode="allreduce": the caller's
// sum_across_processes hook, an MPI all-reduce): synchronous data-parallel
// SGD. Each process holds its own rows and an identical model. An epoch has
// K = ceil(N / batch_size) steps, N the training rows of all processes; a
// process's step k takes its rows [k n / K, (k + 1) n / K) of its own order
// (so the global batch has about batch_size rows, whatever the shards'
// sizes). Each step sums the processes' gradients, rows per feature (the
// penalty's weight), derivative and loss sums in one all-reduce, and every
// process then takes the same step: the model is minibatch's on all the
// rows with the global batch, up to the order of the sums. The counts of
// rows per feature and N are summed once, at the first run.

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/solver_problem.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/runtime/barzilai_borwein.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "data_layouts.hpp"
#include "hogwild/core/views.hpp"

namespace hogwild {

// Which rows a step averages the gradient over.
enum class Batching {
    minibatch,  // config.solver.batch_size rows of the epoch's (shuffled) row order
    full,       // every training row, in data order: one step per epoch
};

template <class View, Batching batching>
class SynchronousSolver {
  public:
    SynchronousSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : problem_(X, targets, config, model),
          batching_(batching),
          l1_(config, problem_.strength, model.n_features, true),
          averaging_(config.step.average > 0),
          optimizer_(config, model.n_features + 1) {
        if (is_passive_aggressive(config.step.learning_rate))
            throw std::invalid_argument("the minibatch and gd solvers do not support passive-aggressive steps");
        if (config.solver.batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
        prepare();
    }

    int n_threads() const { return problem_.n_threads; }

    // (the session reads and writes its state)
    auto& optimizer() { return optimizer_; }

    // The velocity of momentum / nesterov set to zero (EpochDriver::note_objective).
    void restart_momentum() {
        OptimizerMoments moments = optimizer_.moments();
        std::fill(moments.first.begin(), moments.first.end(), 0.0);
        optimizer_.set_moments(moments);
    }

    // The caller wrote the model buffers: continue from them.
    void reload() {
        std::copy(problem_.model.weights, problem_.model.weights + problem_.n_features, weights_.begin());
        intercept_ = *problem_.model.intercept;
        if (averaging_) start_averages(samples_at_epoch_start_);
        if (barzilai_borwein_on_) barzilai_borwein_.restart_from(weights_.data(), weights_.size(), intercept_);
    }

    bool uses_row_order() const { return batching_ == Batching::minibatch; }

    // The calling thread, before a run: joins the other processes at the
    // first run with sum_across_processes (every run of a session must then
    // have it).
    void start_run(const TrainHooks& hooks) {
        const bool across = static_cast<bool>(hooks.sum_across_processes);
        if (runs_started_ && across != across_processes_)
            throw std::invalid_argument("a session trains across processes (sum_across_processes) in all of its "
                                        "runs or in none");
        sum_across_processes_ = hooks.sum_across_processes;
        if (across && !across_processes_) join_processes();
        runs_started_ = true;
    }

    void start_epoch(const Epoch& epoch) {
        epoch_eta_ = epoch.eta;
        epoch_loss_sum_ = 0.0;
        global_rows_this_epoch_ = 0;
        if (batching_ == Batching::minibatch) collect_training_rows(epoch.rows);
    }

    void work(int tid, int team_size, const Epoch&, ThreadTeam& team) {
        double l1_total = l1_.total();  // (the same sums, in the same order, on every thread)
        for (std::int64_t batch = 0; batch < batches_per_epoch_; ++batch) {
            Step step = step_for(batch);
            l1_total += l1_.pull_of(step.optimizer.eta);
            step.l1_total = l1_total;
            compute_row_derivatives(step, tid, team_size, team);
#pragma omp barrier
            if (barzilai_borwein_on_) {
                take_barzilai_borwein_step(step, tid, team_size, team);
            } else if (across_processes_) {
                for (int part = tid; part < problem_.n_threads; part += team_size)
                    sum_gradient(step, part, team_size, team);
#pragma omp barrier
                if (tid == 0) team.guarded([&] { sum_batch_across_processes(step, team); });
#pragma omp barrier
                if (!stop_after_batch_ && global_batch_.n_rows > 0) {
                    step.n_rows = global_batch_.n_rows;
                    set_average_clocks(step, global_batch_.first);
                    for (int part = tid; part < problem_.n_threads; part += team_size)
                        update_every_feature(step, part);
                    if (tid == 0) update_intercept(step, global_batch_.derivative_sum);
                }
            } else {
                for (int part = tid; part < problem_.n_threads; part += team_size) {
                    const std::int64_t n_touched = sum_gradient(step, part, team_size, team);
                    if (n_touched >= 0) update_touched_features(step, part, n_touched);
                }
                if (tid == 0) {
                    stop_after_batch_ = team.stop_requested();
                    if (!stop_after_batch_) {
                        const BatchSums sums = sum_rows(step);
                        epoch_loss_sum_ += sums.loss_sum;
                        update_intercept(step, sums.derivative_sum);
                    }
                }
            }
#pragma omp barrier
            // (not team.stop_requested(): thread 0 may set that before a
            // slower thread reads it here, and the threads would then meet
            // different barriers)
            if (stop_after_batch_) break;
        }
        if (tid == 0) l1_total_at_epoch_end_ = l1_total;
    }

    // The calling thread, between epochs: the model becomes the caller's.
    EpochOutcome publish(const Epoch& epoch) {
        l1_.set_total(l1_total_at_epoch_end_);
        newest_checked_ = false;  // (gd under Barzilai-Borwein: see take_barzilai_borwein_step)
        steps_at_epoch_start_ += batches_per_epoch_;
        samples_at_epoch_start_ += static_cast<double>(n_train_all_);
        if (epoch.last) check_newest_point();
        std::copy(weights_.begin(), weights_.end(), problem_.model.weights);
        *problem_.model.intercept = intercept_;
        if (averaging_) publish_averages(averaging_clock(samples_at_epoch_start_ - 1.0));
        EpochOutcome outcome;
        outcome.loss_sum = epoch_loss_sum_;
        outcome.updates = static_cast<double>(n_train_all_);  // rows (examples) processed, as in the other solvers
        return outcome;
    }

    // After a run that the stopping rule or a callback ended before its
    // last epoch: the newest point checked, and published again.
    void finish_run() {
        if (!barzilai_borwein_on_ || newest_checked_) return;
        check_newest_point();
        std::copy(weights_.begin(), weights_.end(), problem_.model.weights);
        *problem_.model.intercept = intercept_;
    }

  private:
    static constexpr bool kDense = std::is_same_v<typename View::Row, DenseRow<typename View::value_type>>;

    // What every thread knows about the step it is taking, computed by each
    // thread from the batch number alone (no shared counters in an epoch).
    struct Step {
        std::int64_t first = 0;  // position of the batch in training_rows_
        std::int64_t n_rows = 0;
        OptimizerStep optimizer;
        double average_clock_before = 0.0;  // averaging clocks before and after the step
        double average_clock_after = 0.0;
        double l1_total = 0.0;    // the cumulative L1 penalty's u after this step
        PenaltyStrength penalty;  // the penalty's strengths times the step's eta
    };

    bool is_training_row(std::int64_t i) const { return hogwild::is_training_row(problem_.targets, i); }

    // Everything is allocated here, before the parallel region, where an
    // exception would terminate the process.
    void prepare() {
        n_train_ = problem_.X.n_rows;
        if (problem_.targets.validation_mask != nullptr)
            for (std::int64_t i = 0; i < problem_.X.n_rows; ++i)
                n_train_ -= problem_.targets.validation_mask[i] ? 1 : 0;
        n_train_all_ = n_train_;
        training_rows_.resize(static_cast<std::size_t>(n_train_));
        collect_training_rows(nullptr);  // data order: gd's for good, minibatch's until the first shuffle
        batch_size_ = batching_ == Batching::full
                          ? std::max<std::int64_t>(1, n_train_)
                          : std::min(problem_.config.solver.batch_size, std::max<std::int64_t>(1, n_train_));
        batches_per_epoch_ = (n_train_ + batch_size_ - 1) / batch_size_;
        // The schedule counts optimizer steps, continuing from earlier
        // partial_fit calls on data of this size; the optimizer's own state
        // (and Adam's bias correction) starts afresh with each call.
        steps_before_call_ = static_cast<double>(problem_.config.step.epoch_start) * static_cast<double>(batches_per_epoch_);
        samples_at_epoch_start_ = problem_.config.step.t_start;

        row_derivative_.assign(static_cast<std::size_t>(batch_size_), 0.0);
        row_loss_.assign(static_cast<std::size_t>(batch_size_), 0.0);
        weights_.assign(problem_.model.weights, problem_.model.weights + problem_.n_features);
        intercept_ = *problem_.model.intercept;
        gradient_.assign(static_cast<std::size_t>(problem_.n_features), 0.0);
        split_features(count_feature_rows());
        prepare_contributions();
        if (averaging_) start_averages(problem_.config.step.t_start);
        if (barzilai_borwein_on_) {
            touched_in_part_.assign(static_cast<std::size_t>(problem_.n_threads), 0);
            row_weighted_loss_.assign(static_cast<std::size_t>(batch_size_), 0.0);
            const double l2 = problem_.strength.l2;
            const double first = problem_.config.step.eta0;
            barzilai_borwein_.start(static_cast<std::size_t>(problem_.n_features) + 1, first,
                                    l2 > 0.0 ? 1.0 / l2 : 1e6 * first);
            barzilai_borwein_.restart_from(weights_.data(), weights_.size(), intercept_);
        }
    }

    // The epoch's training rows in visiting order (data order when `order`
    // is null), written in place: called in the parallel region too.
    void collect_training_rows(const std::int64_t* order) {
        std::size_t n = 0;
        for (std::int64_t position = 0; position < problem_.X.n_rows; ++position) {
            const std::int64_t i = order != nullptr ? order[position] : position;
            if (is_training_row(i)) training_rows_[n++] = i;
        }
    }

    // Training rows containing each feature (sparse data only), counted once
    // in one pass: exact and independent of the thread count.
    std::vector<std::int64_t> count_feature_rows() {
        std::vector<std::int64_t> counts;
        if constexpr (!kDense) {
            counts.assign(static_cast<std::size_t>(problem_.n_features), 0);
            for (const std::int64_t i : training_rows_) {
                const auto row = problem_.X.row(i);
                for (std::int64_t k = 0; k < row.size(); ++k) ++counts[static_cast<std::size_t>(row.index(k))];
            }
            regularization_scale_.resize(static_cast<std::size_t>(problem_.n_features));
            for (std::size_t j = 0; j < counts.size(); ++j)
                regularization_scale_[j] = counts[j] > 0 ? static_cast<double>(n_train_) / counts[j] : 0.0;
            batch_count_.assign(static_cast<std::size_t>(problem_.n_features), 0);
            touched_.assign(static_cast<std::size_t>(problem_.n_features), 0);
        }
        return counts;
    }

    // Across processes, at the first run: the training rows of all
    // processes and the rows containing each feature summed over them (the
    // penalty's scaling, the steps of an epoch), and the step's all-reduce
    // buffer sized. Throws where the processes cannot agree (gd).
    void join_processes() {
        if (batching_ != Batching::minibatch)
            throw std::invalid_argument("only the minibatch solver trains across processes (sum_across_processes)");
        const auto n_features = static_cast<std::size_t>(problem_.n_features);
        std::vector<double> totals(kDense ? 1 : n_features + 1, 0.0);
        if constexpr (!kDense) {
            const std::vector<std::int64_t> counts = count_feature_rows();
            std::copy(counts.begin(), counts.end(), totals.begin());
        }
        totals.back() = static_cast<double>(n_train_);
        sum_across_processes_(totals.data(), static_cast<std::int64_t>(totals.size()));
        n_train_all_ = std::llround(totals.back());
        if constexpr (!kDense) {
            for (std::size_t j = 0; j < n_features; ++j)
                regularization_scale_[j] = totals[j] > 0.0 ? static_cast<double>(n_train_all_) / totals[j] : 0.0;
            rows_with_feature_.assign(n_features, 0.0);
        }
        batches_per_epoch_ = std::max<std::int64_t>(
            1, (n_train_all_ + problem_.config.solver.batch_size - 1) / problem_.config.solver.batch_size);
        steps_before_call_ = static_cast<double>(problem_.config.step.epoch_start) * static_cast<double>(batches_per_epoch_);
        all_reduce_buffer_.assign((kDense ? n_features : 2 * n_features) + kBatchFigures, 0.0);
        across_processes_ = true;
    }

    // Feature ranges [part_begin_[p], part_begin_[p + 1]), one per thread,
    // with about equal numbers of nonzeros (equal widths on dense data).
    void split_features(const std::vector<std::int64_t>& counts) {
        part_begin_.assign(static_cast<std::size_t>(problem_.n_threads) + 1, problem_.n_features);
        part_begin_[0] = 0;
        if constexpr (kDense) {
            for (int p = 1; p < problem_.n_threads; ++p)
                part_begin_[static_cast<std::size_t>(p)] = problem_.n_features * p / problem_.n_threads;
        } else {
            std::int64_t total = 0;
            for (const auto c : counts) total += c;
            std::int64_t so_far = 0;
            int next = 1;
            for (std::int64_t j = 0; j < problem_.n_features && next < problem_.n_threads; ++j) {
                so_far += counts[static_cast<std::size_t>(j)];
                while (next < problem_.n_threads && so_far * problem_.n_threads >= total * next)
                    part_begin_[static_cast<std::size_t>(next++)] = j + 1;
            }
        }
    }

    Step step_for(std::int64_t batch) const {
        Step step;
        if (across_processes_) {  // this process's share of the global batch
            step.first = batch * n_train_ / batches_per_epoch_;
            step.n_rows = (batch + 1) * n_train_ / batches_per_epoch_ - step.first;
        } else {
            step.first = batch * batch_size_;
            step.n_rows = std::min(batch_size_, n_train_ - step.first);
        }
        const double steps_done = static_cast<double>(steps_at_epoch_start_ + batch);
        const double eta = barzilai_borwein_on_ ? barzilai_borwein_.eta()
                                                : problem_.schedule.at(steps_before_call_ + steps_done + 1.0, epoch_eta_);
        step.optimizer = optimizer_.at(eta, steps_before_call_ + steps_done + 1.0);
        step.penalty = problem_.strength.times(eta);
        if (!across_processes_) set_average_clocks(step, step.first);  // (across: once the batch is summed)
        return step;
    }

    // `rows_before`: the epoch's rows before the step's (of every process).
    void set_average_clocks(Step& step, std::int64_t rows_before) const {
        if (!averaging_) return;
        // a row's t is its sample count; the iterate after a step stands
        // for each of the step's rows from t = average on
        const double t_first = samples_at_epoch_start_ + static_cast<double>(rows_before);
        step.average_clock_before = averaging_clock(t_first - 1.0);
        step.average_clock_after = averaging_clock(t_first + static_cast<double>(step.n_rows) - 1.0);
    }

    // gd under Barzilai-Borwein: the newest point is checked by the next
    // epoch's pass; at the end of a run there is none, so one pass here
    // (the calling thread) computes its objective, and the run hands back
    // the best point it has seen (the nonmonotone rule accepts worse ones).
    void check_newest_point() {
        if (!barzilai_borwein_on_ || newest_checked_) return;
        newest_checked_ = true;
        double loss_sum = 0.0;
        for (std::int64_t k = 0; k < n_train_; ++k) {
            const std::int64_t i = training_rows_[static_cast<std::size_t>(k)];
            const auto row = problem_.X.row(i);
            double p = intercept_;
            for (std::int64_t e = 0; e < row.size(); ++e) p += weights_[static_cast<std::size_t>(row.index(e))] * row.value(e);
            const double y = problem_.targets.y[i];
            const double class_weight = y > 0.0 ? problem_.config.objective.weight_pos : problem_.config.objective.weight_neg;
            loss_sum += problem_.config.objective.loss.value(p, y) * class_weight * problem_.targets.sample_weight[i];
        }
        std::vector<double> newest(weights_);
        newest.push_back(intercept_);
        const double mean_loss = loss_sum / static_cast<double>(std::max<std::int64_t>(1, n_train_));
        if (!(barzilai_borwein_.objective(newest, mean_loss, problem_.strength.l2) < barzilai_borwein_.best_objective()))
            go_back_to_best_point();
    }

    // After a rejection: the halved step from the last accepted point, with
    // the gradient stored there (a gd step: every feature a row holds, the
    // L2 prox once).
    void step_again_from_last_point() {
        const std::vector<double>& point = barzilai_borwein_.last_point();
        const std::vector<double>& gradient = barzilai_borwein_.last_gradient();
        const double eta = barzilai_borwein_.eta(), l2 = problem_.strength.l2;
        for (std::int64_t j = 0; j < problem_.n_features; ++j) {
            const auto jj = static_cast<std::size_t>(j);
            if (!kDense && regularization_scale_[jj] == 0.0) continue;  // (no row holds it: gd never steps it)
            weights_[jj] = sgd_coordinate(point[jj], -eta * (gradient[jj] - l2 * point[jj]), eta * l2, 1.0);
        }
        if (problem_.config.objective.fit_intercept) intercept_ = point.back() - eta * gradient.back();
    }

    void go_back_to_best_point() {
        const std::vector<double>& back = barzilai_borwein_.best_point();
        std::copy(back.begin(), back.end() - 1, weights_.begin());
        if (problem_.config.objective.fit_intercept) intercept_ = back.back();
    }

    // Phase 1: the rows' loss derivatives, the batch's rows split among threads.
    void compute_row_derivatives(const Step& step, int tid, int team_size, ThreadTeam& team) {
        const std::int64_t begin = step.n_rows * tid / team_size;
        const std::int64_t end = step.n_rows * (tid + 1) / team_size;
        const std::int64_t* rows = training_rows_.data() + step.first;
        for (std::int64_t k = begin; k < end; ++k) {
            if ((k - begin) % ThreadTeam::kRowsBetweenStopChecks == 0 && team.stop_requested()) return;
            prefetch_ahead(problem_.X, rows, k, end);
            const std::int64_t i = rows[k];
            const auto row = problem_.X.row(i);
            double p = intercept_;
            for (std::int64_t e = 0; e < row.size(); ++e)
                p += weights_[static_cast<std::size_t>(row.index(e))] * row.value(e);
            const double y = problem_.targets.y[i];
            const double class_weight = y > 0.0 ? problem_.config.objective.weight_pos : problem_.config.objective.weight_neg;
            const double weight = class_weight * problem_.targets.sample_weight[i];
            row_loss_[static_cast<std::size_t>(k)] = problem_.config.objective.loss.value(p, y);
            row_derivative_[static_cast<std::size_t>(k)] = clipped(problem_.config.objective.loss.derivative(p, y)) * weight;
            if (barzilai_borwein_on_) row_weighted_loss_[static_cast<std::size_t>(k)] = row_loss_[static_cast<std::size_t>(k)] * weight;
        }
        team.stop_after(tid, end - begin);  // (the calling thread polls the interrupt hook every so many rows)
        if (uses_contributions(team_size)) group_contributions(rows, begin, end, tid, team);
    }

    // Contributions are used where a thread of phase 1 can hold all of its
    // rows' nonzeros (sized in prepare_contributions for the configured
    // team; gd's batch is all the data, so it keeps the scan).
    bool uses_contributions(int team) const { return !contributions_.empty() && team == problem_.n_threads; }

    void prepare_contributions() {
        if constexpr (!kDense) {
            if (batching_ != Batching::minibatch || problem_.n_threads < 2 || n_train_ == 0) return;
            // a thread of phase 1 takes at most ceil(batch / threads) rows:
            // room for that many of the longest training rows
            std::vector<std::int64_t> lengths(training_rows_.size());
            for (std::size_t r = 0; r < training_rows_.size(); ++r)
                lengths[r] = problem_.X.row(training_rows_[r]).size();
            const auto longest = static_cast<std::size_t>(
                std::min<std::int64_t>((batch_size_ + problem_.n_threads - 1) / problem_.n_threads, n_train_));
            std::nth_element(lengths.begin(), lengths.begin() + static_cast<std::ptrdiff_t>(longest - 1), lengths.end(),
                             std::greater<>());
            std::int64_t capacity = 0;
            for (std::size_t r = 0; r < longest; ++r) capacity += lengths[r];
            part_of_feature_.resize(static_cast<std::size_t>(problem_.n_features));
            for (int part = 0; part < problem_.n_threads; ++part)
                for (std::int64_t j = part_begin_[static_cast<std::size_t>(part)];
                     j < part_begin_[static_cast<std::size_t>(part) + 1]; ++j)
                    part_of_feature_[static_cast<std::size_t>(j)] = part;
            contributions_.assign(static_cast<std::size_t>(problem_.n_threads),
                                  std::vector<Contribution>(static_cast<std::size_t>(capacity)));
            part_start_.assign(static_cast<std::size_t>(problem_.n_threads),
                               std::vector<std::int64_t>(static_cast<std::size_t>(problem_.n_threads) + 2, 0));
        }
    }

    // The nonzeros of this thread's rows [begin, end) as contributions
    // d_k x_kj, sorted by owner part and, within a part, in row order (a
    // counting sort: the rows are still in cache from phase 1).
    void group_contributions(const std::int64_t* rows, std::int64_t begin, std::int64_t end, int tid,
                             const ThreadTeam& team) {
        if constexpr (!kDense) {
            if (team.stop_requested()) return;  // (phase 2 will not read them)
            std::vector<std::int64_t>& start = part_start_[static_cast<std::size_t>(tid)];
            std::fill(start.begin(), start.end(), 0);
            for (std::int64_t k = begin; k < end; ++k) {
                const auto row = problem_.X.row(rows[k]);
                for (std::int64_t e = 0; e < row.size(); ++e)
                    ++start[static_cast<std::size_t>(part_of_feature_[static_cast<std::size_t>(row.index(e))]) + 2];
            }
            // start[p + 1] becomes where part p's contributions go; after the
            // scatter it is where they end, and start[p] where they begin
            for (std::size_t p = 2; p < start.size(); ++p) start[p] += start[p - 1];
            Contribution* out = contributions_[static_cast<std::size_t>(tid)].data();
            for (std::int64_t k = begin; k < end; ++k) {
                const double d = row_derivative_[static_cast<std::size_t>(k)];
                const auto row = problem_.X.row(rows[k]);
                for (std::int64_t e = 0; e < row.size(); ++e) {
                    const std::int64_t j = row.index(e);
                    const auto slot = static_cast<std::size_t>(part_of_feature_[static_cast<std::size_t>(j)]) + 1;
                    out[start[slot]++] = Contribution{j, d * row.value(e)};
                }
            }
        }
    }

    // Phase 2a: the batch gradient of the features of range `part`, summed in
    // row order into gradient_ (and, on sparse data, the batch's rows
    // containing each feature into batch_count_). Returns how many of the
    // range's features the batch touches (listed in touched_ from lo), or -1
    // when a stop request cut the sums short.
    std::int64_t sum_gradient(const Step& step, int part, int team_size, const ThreadTeam& team) {
        const std::int64_t lo = part_begin_[static_cast<std::size_t>(part)];
        const std::int64_t hi = part_begin_[static_cast<std::size_t>(part) + 1];
        if (lo == hi) return 0;
        const std::int64_t* rows = training_rows_.data() + step.first;
        if constexpr (kDense) {
            for (std::int64_t k = 0; k < step.n_rows; ++k) {
                if (k % ThreadTeam::kRowsBetweenStopChecks == 0 && team.stop_requested()) return -1;
                const double d = row_derivative_[static_cast<std::size_t>(k)];
                const auto row = problem_.X.row(rows[k]);
                for (std::int64_t j = lo; j < hi; ++j) gradient_[static_cast<std::size_t>(j)] += d * row.value(j);
            }
            return hi - lo;
        } else {
            // touched_[lo, hi) lists this range's features that the batch touches
            std::int64_t n_touched = 0;
            const bool handed_over = uses_contributions(team_size);
            if (handed_over) {
                if (team.stop_requested()) return -1;
                // the threads of phase 1 in order: the batch's rows in order
                for (int t = 0; t < team_size; ++t) {
                    const Contribution* in = contributions_[static_cast<std::size_t>(t)].data();
                    const std::vector<std::int64_t>& start = part_start_[static_cast<std::size_t>(t)];
                    for (std::int64_t c = start[static_cast<std::size_t>(part)];
                         c < start[static_cast<std::size_t>(part) + 1]; ++c) {
                        const auto jj = static_cast<std::size_t>(in[c].feature);
                        if (batch_count_[jj]++ == 0)
                            touched_[static_cast<std::size_t>(lo + n_touched++)] = in[c].feature;
                        gradient_[jj] += in[c].gradient;
                    }
                }
            }
            // otherwise every thread scans the whole batch for its features
            const std::int64_t rows_to_scan = handed_over ? 0 : step.n_rows;
            for (std::int64_t k = 0; k < rows_to_scan; ++k) {
                if (k % ThreadTeam::kRowsBetweenStopChecks == 0 && team.stop_requested()) return -1;
                const double d = row_derivative_[static_cast<std::size_t>(k)];
                const auto row = problem_.X.row(rows[k]);
                for (std::int64_t e = 0; e < row.size(); ++e) {
                    const std::int64_t j = row.index(e);
                    if (j < lo || j >= hi) continue;
                    const auto jj = static_cast<std::size_t>(j);
                    if (batch_count_[jj]++ == 0) touched_[static_cast<std::size_t>(lo + n_touched++)] = j;
                    gradient_[jj] += d * row.value(e);
                }
            }
            return n_touched;
        }
    }

    // Phase 2b: the optimizer steps of the range's features the batch
    // touched (every feature on dense data), from sum_gradient's sums.
    void update_touched_features(const Step& step, int part, std::int64_t n_touched) {
        const std::int64_t lo = part_begin_[static_cast<std::size_t>(part)];
        const double inverse_rows = 1.0 / static_cast<double>(step.n_rows);
        for (std::int64_t s = 0; s < n_touched; ++s) {
            if constexpr (kDense) {
                double& gradient = gradient_[static_cast<std::size_t>(lo + s)];
                update_coordinate(lo + s, gradient * inverse_rows, 1.0, step);
                gradient = 0.0;
            } else {
                const auto j = static_cast<std::size_t>(touched_[static_cast<std::size_t>(lo + s)]);
                // the rows containing j each add the penalty scaled by n_train / rows(j)
                const double penalty_weight =
                    static_cast<double>(batch_count_[j]) * regularization_scale_[j] * inverse_rows;
                update_coordinate(static_cast<std::int64_t>(j), gradient_[j] * inverse_rows, penalty_weight, step);
                gradient_[j] = 0.0;
                batch_count_[j] = 0;
            }
        }
    }

    // Across processes, phase 2b: the steps of the range's features that
    // any process's batch touched, from the summed gradient_ and
    // rows_with_feature_ (step.n_rows: the global batch's rows).
    void update_every_feature(const Step& step, int part) {
        const std::int64_t lo = part_begin_[static_cast<std::size_t>(part)];
        const std::int64_t hi = part_begin_[static_cast<std::size_t>(part) + 1];
        const double inverse_rows = 1.0 / static_cast<double>(step.n_rows);
        for (std::int64_t j = lo; j < hi; ++j) {
            const auto jj = static_cast<std::size_t>(j);
            if constexpr (kDense) {
                update_coordinate(j, gradient_[jj] * inverse_rows, 1.0, step);
            } else {
                if (rows_with_feature_[jj] == 0.0) continue;
                update_coordinate(j, gradient_[jj] * inverse_rows,
                                  rows_with_feature_[jj] * regularization_scale_[jj] * inverse_rows, step);
            }
            gradient_[jj] = 0.0;
        }
    }

    // The calling thread, across processes: this process's sums of the
    // batch (gradient, rows per feature, derivative and loss sums, rows, a
    // stop request) replaced by every process's, in one all-reduce.
    // Processes stop together after a batch that any of them asked to stop
    // (a Ctrl-C, a failure), and then none takes its step: a process that
    // did not ask stops its team too, so that its run ends as interrupted,
    // the epoch unfinished, as the one that asked.
    void sum_batch_across_processes(const Step& step, ThreadTeam& team) {
        stop_after_batch_ = true;  // (unless the sum completes: a throwing hook ends the run)
        const auto n_features = static_cast<std::size_t>(problem_.n_features);
        double* sums = all_reduce_buffer_.data();
        std::copy(gradient_.begin(), gradient_.end(), sums);
        if constexpr (!kDense)
            for (std::size_t j = 0; j < n_features; ++j) sums[n_features + j] = static_cast<double>(batch_count_[j]);
        double* figures = sums + all_reduce_buffer_.size() - kBatchFigures;
        const bool stopping = team.stop_requested();
        const BatchSums rows = stopping ? BatchSums{} : sum_rows(step);
        figures[kDerivativeSum] = rows.derivative_sum;
        figures[kLossSum] = rows.loss_sum;
        figures[kRows] = static_cast<double>(step.n_rows);
        figures[kStop] = stopping ? 1.0 : 0.0;
        // (zeroed before the sum, which may throw: the sums come back below)
        std::fill(gradient_.begin(), gradient_.end(), 0.0);
        if constexpr (!kDense) std::fill(batch_count_.begin(), batch_count_.end(), 0);

        sum_across_processes_(sums, static_cast<std::int64_t>(all_reduce_buffer_.size()));

        std::copy(sums, sums + n_features, gradient_.begin());
        if constexpr (!kDense) std::copy(sums + n_features, sums + 2 * n_features, rows_with_feature_.begin());
        global_batch_.first = global_rows_this_epoch_;
        global_batch_.n_rows = std::llround(figures[kRows]);
        global_batch_.derivative_sum = figures[kDerivativeSum];
        global_rows_this_epoch_ += global_batch_.n_rows;
        epoch_loss_sum_ += figures[kLossSum];
        stop_after_batch_ = figures[kStop] > 0.0;
        if (stop_after_batch_ && !stopping) team.request_stop();
        // (no process holds rows of this step when shards are smaller than
        // the epoch's steps: nothing to take)
        if (stop_after_batch_ || global_batch_.n_rows == 0) std::fill(gradient_.begin(), gradient_.end(), 0.0);
    }

    // gd under Barzilai-Borwein, phase 2: the gradient at this point first
    // (every range's, and the loss there), then the point judged and the
    // step chosen from it and the last point (BarzilaiBorweinStep::
    // finish_step, on thread 0), then the step taken. A rejected point is
    // left for the halved step from the last accepted one, and the epoch
    // reports that one's loss.
    void take_barzilai_borwein_step(const Step& step, int tid, int team_size, ThreadTeam& team) {
        for (int part = tid; part < problem_.n_threads; part += team_size) {
            const std::int64_t n_touched = sum_gradient(step, part, team_size, team);
            touched_in_part_[static_cast<std::size_t>(part)] = n_touched;
            if (n_touched > 0) record_gradient(step, part, n_touched);
        }
#pragma omp barrier
        if (tid == 0) {
            team.guarded([&] {
                stop_after_batch_ = team.stop_requested() ||
                                    std::any_of(touched_in_part_.begin(), touched_in_part_.end(),
                                                [](std::int64_t n) { return n < 0; });
                if (stop_after_batch_) return;
                const BatchSums sums = sum_rows(step);
                epoch_loss_sum_ += sums.loss_sum;
                derivative_sum_ = sums.derivative_sum;
                if (problem_.config.objective.fit_intercept)
                    barzilai_borwein_.record(static_cast<std::size_t>(problem_.n_features), intercept_,
                                             intercept_gradient(step, derivative_sum_));
                point_rejected_ = barzilai_borwein_.finish_step(
                    weighted_loss_sum_ / static_cast<double>(std::max<std::int64_t>(1, n_train_)), problem_.strength.l2);
                if (point_rejected_) {
                    step_again_from_last_point();
                    epoch_loss_sum_ = accepted_loss_sum_;
                } else {
                    accepted_loss_sum_ = epoch_loss_sum_;
                }
            });
        }
#pragma omp barrier
        if (stop_after_batch_) return;
        Step taken = step;
        taken.optimizer.eta = barzilai_borwein_.eta();  // (plain sgd: no moment corrections)
        taken.penalty = problem_.strength.times(barzilai_borwein_.eta());
        for (int part = tid; part < problem_.n_threads; part += team_size) {
            const std::int64_t n_touched = touched_in_part_[static_cast<std::size_t>(part)];
            if (point_rejected_) discard_sums(part, n_touched);
            else update_touched_features(taken, part, n_touched);
        }
        if (tid == 0 && !point_rejected_) update_intercept(taken, derivative_sum_);
    }

    // The point's smooth gradient (loss and L2 penalty), per coordinate of
    // the range's touched features, for the Barzilai-Borwein pair.
    void record_gradient(const Step& step, int part, std::int64_t n_touched) {
        const std::int64_t lo = part_begin_[static_cast<std::size_t>(part)];
        const double inverse_rows = 1.0 / static_cast<double>(step.n_rows);
        for (std::int64_t s = 0; s < n_touched; ++s) {
            const auto j = static_cast<std::size_t>(kDense ? lo + s : touched_[static_cast<std::size_t>(lo + s)]);
            const double penalty_weight =
                kDense ? 1.0 : static_cast<double>(batch_count_[j]) * regularization_scale_[j] * inverse_rows;
            barzilai_borwein_.record(j, weights_[j], gradient_[j] * inverse_rows + problem_.strength.l2 * penalty_weight * weights_[j]);
        }
    }

    // The range's sums, zeroed without a step (a rejected point).
    void discard_sums(int part, std::int64_t n_touched) {
        const std::int64_t lo = part_begin_[static_cast<std::size_t>(part)];
        for (std::int64_t s = 0; s < n_touched; ++s) {
            const auto j = static_cast<std::size_t>(kDense ? lo + s : touched_[static_cast<std::size_t>(lo + s)]);
            gradient_[j] = 0.0;
            if constexpr (!kDense) batch_count_[j] = 0;
        }
    }

    double intercept_gradient(const Step& step, double derivative_sum) const {
        return problem_.config.objective.intercept_decay * derivative_sum / static_cast<double>(step.n_rows);
    }

    // Summed in row order: the batch's loss derivatives (the intercept's
    // gradient) and losses; for gd under Barzilai-Borwein, the weighted loss.
    struct BatchSums {
        double derivative_sum = 0.0;
        double loss_sum = 0.0;
    };
    BatchSums sum_rows(const Step& step) {
        BatchSums sums;
        for (std::int64_t k = 0; k < step.n_rows; ++k) {
            sums.derivative_sum += row_derivative_[static_cast<std::size_t>(k)];
            sums.loss_sum += row_loss_[static_cast<std::size_t>(k)];
        }
        if (barzilai_borwein_on_) {
            weighted_loss_sum_ = 0.0;  // (gd: the epoch's one batch)
            for (std::int64_t k = 0; k < step.n_rows; ++k) weighted_loss_sum_ += row_weighted_loss_[static_cast<std::size_t>(k)];
        }
        return sums;
    }

    // One coordinate's step: `gradient` is the loss's mean gradient,
    // `penalty_weight` how many times the penalty applies in this step.
    void update_coordinate(std::int64_t j, double gradient, double penalty_weight, const Step& step) {
        const auto jj = static_cast<std::size_t>(j);
        const double before = weights_[jj];
        double w = before;
        if (l1_.on())  // (each feature has one owner: exact books)
            w = l1_.step_at(step.l1_total, j, w, optimizer_.change(j, gradient, step.optimizer), step.penalty.l2,
                            penalty_weight);
        else if (optimizer_.kind() == Optimizer::sgd)
            w = sgd_coordinate(w, optimizer_.change(j, gradient, step.optimizer), step.penalty.l2, penalty_weight);
        else
            w += optimizer_.change(j, regularized_gradient(w, gradient, problem_.strength, penalty_weight),
                                   step.optimizer);
        weights_[jj] = w;
        if (averaging_) accumulate_average(jj, before, w, step);
    }

    // Done by the calling thread after its features: the intercept's step
    // from the batch's summed loss derivatives. intercept_decay (which
    // slows the intercept on sparse data, as in the other solvers) scales
    // the intercept's gradient: a smaller step for sgd and momentum, while
    // the adaptive optimizers normalize it away as they do every coordinate's
    // scale.
    void update_intercept(const Step& step, double derivative_sum) {
        const double before = intercept_;
        const double gradient = intercept_gradient(step, derivative_sum);
        if (problem_.config.objective.fit_intercept)
            intercept_ += optimizer_.change(problem_.n_features, gradient, step.optimizer);
        if (averaging_) accumulate_average(static_cast<std::size_t>(problem_.n_features), before, intercept_, step);
    }

    // Averaged iterates, kept lazily: slot s (a feature, or the intercept
    // last) holds the sum of its past values weighted by the rows each
    // stood for, up to clock average_clock_[s]; a value that did not change
    // is added when the slot next changes, or when the averages are published.
    double averaging_clock(double t) const { return hogwild::averaging_clock(problem_.config, t); }

    // The average in the caller's buffers stands for the iterates before update t.
    void start_averages(double t) {
        const double clock = averaging_clock(t - 1.0);
        average_sum_.resize(static_cast<std::size_t>(problem_.n_features) + 1);
        for (std::int64_t j = 0; j < problem_.n_features; ++j)
            average_sum_[static_cast<std::size_t>(j)] = problem_.model.average_weights[j] * clock;
        average_sum_.back() = *problem_.model.average_intercept * clock;
        average_clock_.assign(average_sum_.size(), clock);
    }

    void accumulate_average(std::size_t slot, double before, double after, const Step& step) {
        average_sum_[slot] += before * (step.average_clock_before - average_clock_[slot]) +
                              after * (step.average_clock_after - step.average_clock_before);
        average_clock_[slot] = step.average_clock_after;
    }

    void publish_averages(double clock) {
        const auto n = static_cast<std::size_t>(problem_.n_features);
        for (std::size_t s = 0; s <= n; ++s) {
            const double value = s < n ? weights_[s] : intercept_;
            average_sum_[s] += value * (clock - average_clock_[s]);
            average_clock_[s] = clock;
            const double average = clock > 0.0 ? average_sum_[s] / clock : value;
            if (s < n)
                problem_.model.average_weights[s] = average;
            else
                *problem_.model.average_intercept = average;
        }
    }

    const SolverProblem<View> problem_;
    const Batching batching_;
    // plain sgd with an L1 part: the cumulative L1 penalty (runtime/cumulative_l1.hpp)
    CumulativeL1 l1_;  // its total: u at the start of the epoch
    double l1_total_at_epoch_end_ = 0.0;
    const bool averaging_;
    CoordinateOptimizer<PrivateOptimizerState> optimizer_;  // one owner per coordinate: no sharing

    std::vector<std::int64_t> training_rows_;  // this epoch's, in visiting order
    std::int64_t n_train_ = 0;
    std::int64_t batch_size_ = 1;
    std::int64_t batches_per_epoch_ = 0;
    double steps_before_call_ = 0.0;  // optimizer steps of earlier calls, for the schedule and the optimizer
    std::int64_t steps_at_epoch_start_ = 0;
    double samples_at_epoch_start_ = 1.0;  // scikit-learn's t of the epoch's first row
    double epoch_eta_ = 0.0;
    double epoch_loss_sum_ = 0.0;

    std::vector<double> weights_;  // the model while training (published after each epoch)
    double intercept_ = 0.0;
    std::vector<double> row_derivative_;  // per row of the current batch
    std::vector<double> row_loss_;
    std::vector<double> gradient_;  // per feature, zero between steps
    std::vector<std::int64_t> part_begin_;
    // sparse data only
    std::vector<double> regularization_scale_;  // n_train / training rows containing the feature
    std::vector<std::int64_t> batch_count_;     // rows of the batch containing the feature, zero between steps
    std::vector<std::int64_t> touched_;         // per range, the features the batch touches
    // minibatch on sparse data with several threads: phase 1's hand-over
    struct Contribution {
        std::int64_t feature;
        double gradient;  // d_k x_kj
    };
    std::vector<int> part_of_feature_;
    std::vector<std::vector<Contribution>> contributions_;  // per thread of phase 1, by part
    std::vector<std::vector<std::int64_t>> part_start_;     // per thread: part p is [start[p], start[p + 1])
    // averaging
    std::vector<double> average_sum_;
    std::vector<double> average_clock_;

    bool stop_after_batch_ = false;  // the team's stop request, sampled before the batch's last barrier
    // across processes (sum_across_processes)
    bool runs_started_ = false;
    bool across_processes_ = false;
    SumAcrossProcesses sum_across_processes_;  // the current run's
    std::int64_t n_train_all_ = 0;             // training rows of every process (n_train_ when alone)
    enum BatchFigure { kDerivativeSum, kLossSum, kRows, kStop, kBatchFigures };
    std::vector<double> all_reduce_buffer_;  // gradient_, rows per feature (sparse), the batch figures
    std::vector<double> rows_with_feature_;  // the global batch's rows containing each feature (sparse)
    struct GlobalBatch {
        std::int64_t first = 0;  // rows of the epoch before it, every process's
        std::int64_t n_rows = 0;
        double derivative_sum = 0.0;
    } global_batch_;
    std::int64_t global_rows_this_epoch_ = 0;
    // gd under learning_rate="auto": Barzilai-Borwein steps
    const bool barzilai_borwein_on_ = batching_ == Batching::full &&
                                      problem_.config.step.learning_rate == LearningRate::barzilai_borwein &&
                                      problem_.config.step.optimizer == Optimizer::sgd;
    BarzilaiBorweinStep barzilai_borwein_;
    std::vector<double> row_weighted_loss_;  // the rows' losses times their weights: the objective it checks
    double weighted_loss_sum_ = 0.0;
    double accepted_loss_sum_ = 0.0;  // the epoch loss sum of the last accepted point
    std::vector<std::int64_t> touched_in_part_;  // per range, sum_gradient's count (-1: cut short)
    double derivative_sum_ = 0.0;     // the batch's, for the intercept's step
    bool point_rejected_ = false;     // by the nonmonotone rule, this epoch
    bool newest_checked_ = true;       // the newest point's objective is known (none taken since)
};

template <class View>
std::unique_ptr<TrainingSession> make_minibatch_session(const View& X, const Targets& targets,
                                                        const TrainConfig& config, const ModelState& model) {
    return make_solver_session<View, SynchronousSolver<View, Batching::minibatch>>(X, targets, config, model);
}

template <class View>
std::unique_ptr<TrainingSession> make_gd_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                 const ModelState& model) {
    return make_solver_session<View, SynchronousSolver<View, Batching::full>>(X, targets, config, model);
}

}  // namespace hogwild

HOGWILD_INSTANTIATE_SOLVER(make_minibatch_session)
HOGWILD_INSTANTIATE_SOLVER(make_gd_session)
