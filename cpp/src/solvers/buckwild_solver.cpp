// Buckwild!: Hogwild! on low-precision shared weights (De Sa, Zhang,
// Olukotun & Re 2015). Threads read and write one vector of int8 / int16
// fixed-point or bfloat16 weights without locks; every write rounds
// stochastically (see low_precision.hpp), so updates are unbiased however
// small. Smaller weights mean fewer bytes per row from memory and more of
// the model in cache. The intercept stays a double.
//
// Fixed point needs a range: it starts at max(the data's natural weight
// size, 2 x the largest initial weight; see natural_weight_range) and
// doubles at the end of any epoch in which a write saturated.
// Regularization is per touched feature, proximal, as in the hogwild solver.

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "hogwild/core/low_precision.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "row_step.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/solver_problem.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/linear/scaled_weights.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "data_layouts.hpp"
#include "hogwild/core/write_policy.hpp"

namespace hogwild {

// Features in at least one training row of this many (regularization
// scale n_train / rows <= it) are written with compare-and-swap when several
// threads train; rarer ones with a plain store (two threads rarely meet on
// them, and a lost update there costs little).
inline constexpr double kMaxContendedScale = 64.0;

// The size of a weight that moves a prediction by the size of a target,
// with room for two: twice the root mean square of the targets' distance
// from what the intercept carries (their mean with an intercept: a
// regression target around 1000 needs no large weight; 0 without one; a
// classifier's +-1 as they are) over the root mean square of the stored
// values; 1 for empty data. The fixed-point range started at 1 whatever
// the data, and on features of size 1e3 every weight the model needed lay
// below int8's resolution (1/127): a model of zeros and +-0.0079, R^2 -0.7
// where every other solver reached 1.0 (a new user's trial). From the
// largest |y| over the largest |x| instead, standard normal features
// (largest ~3.5) started at 0.26 and lost three epochs to saturated
// weights (a later trial). Labels +-1 on data of typical size 1 start at 2.
template <class View>
double natural_weight_range(const View& X, const Targets& targets, const LinearObjective& objective) {
    double center = 0.0;
    if (objective.fit_intercept && !objective.classifier) {
        double sum = 0.0;
        std::int64_t count = 0;
        for (std::int64_t i = 0; i < X.n_rows; ++i)
            if (is_training_row(targets, i)) sum += targets.y[i], ++count;
        if (count > 0) center = sum / static_cast<double>(count);
    }
    double squares = 0.0;
    double stored = 0.0;
    double target_squares = 0.0;
    double rows = 0.0;
    for (std::int64_t i = 0; i < X.n_rows; ++i) {
        if (!is_training_row(targets, i)) continue;
        const double target = targets.y[i] - center;
        target_squares += target * target;
        rows += 1.0;
        const auto row = X.row(i);
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const double value = row.value(k);
            if (value != 0.0) squares += value * value, stored += 1.0;
        }
    }
    const double typical_value = stored > 0.0 ? std::sqrt(squares / stored) : 0.0;
    const double typical_target = rows > 0.0 ? std::sqrt(target_squares / rows) : 0.0;
    if (!(typical_value > 0.0) || !(typical_target > 0.0)) return 1.0;
    const double range = 2.0 * typical_target / typical_value;
    return std::isfinite(range) ? range : 1.0;
}

template <class View, class Format>
class BuckwildSolver {
  public:
    using Stored = typename Format::Stored;

    BuckwildSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : problem_(X, targets, config, model),
          state_(config, model, problem_.strength, problem_.n_threads, X.nnz(), X.n_rows),
          saturated_here_(problem_.n_threads, false),
          natural_range_(std::clamp(natural_weight_range(X, targets, config.objective), kMinRange, kMaxRange)) {
        scales_ = regularization_scales(problem_.X, problem_.targets, count_training_rows(targets, X.n_rows));
        load_weights(problem_.config.sampling.seed);
        for (int tid = 0; tid < problem_.n_threads; ++tid)
            randoms_.emplace_back(problem_.config.sampling.seed + 7919ull * (tid + 1));
    }

    // The caller wrote the model buffers: continue from them.
    void reload() {
        load_weights(randoms_.front().next());
        state_.average = IterateAverage(problem_.config, problem_.model, problem_.X.nnz(), problem_.X.n_rows, t_);
    }

    int n_threads() const { return problem_.n_threads; }

    // (the session reads and writes its state)
    auto& optimizer() { return state_.optimizer; }

    void work(int tid, int team_size, const Epoch& epoch, ThreadTeam& team) {
        FastRandom& random = randoms_[static_cast<std::size_t>(tid)];
        const Share share = share_of(problem_.X.n_rows, tid, team_size);
        LossSum loss_sum;
        double updates = 0.0;
        bool saturated = false;
        std::int64_t since_snapshot = 0;
        L1Clock clock(state_.l1, team_size);
        for (std::int64_t position = share.begin; position < share.end; ++position) {
            if (team.stop_at(tid, position - share.begin)) break;
            prefetch_ahead(problem_.X, epoch.rows, position, share.end);
            const std::int64_t i = epoch.rows[position];
            if (!is_training_row(problem_.targets, i)) continue;
            const double t = epoch.t_start + updates * team_size + tid;
            const double eta = problem_.step_size(t, epoch.eta);
            const ThreadWeights weights{stored_.data(), format_,   scales_.data(), &intercept_,
                                        &random,        &saturated, team_size > 1};
            loss_sum.add(linear_row_step(problem_.config, problem_.strength, problem_.X.row(i), problem_.targets.y[i],
                                         problem_.targets.sample_weight[i], eta, t, problem_.n_features, weights,
                                         state_.optimizer, state_.l1, clock));
            updates += 1.0;
            if (state_.average.on() && tid == 0 && ++since_snapshot == state_.average.snapshot_every()) {
                state_.average.snapshot(state_.average.clock_at(t), [&](std::size_t s) { return value(s); });
                since_snapshot = 0;
            }
        }
        state_.loss_sum[tid] = loss_sum.total();
        state_.updates[tid] = updates;
        state_.l1_pulls[tid] = clock.own();
        saturated_here_[tid] = saturated;
    }

    EpochOutcome publish(const Epoch& epoch) {
        const EpochOutcome outcome = state_.end_epoch();
        t_ = epoch.t_start + outcome.updates;
        for (std::int64_t j = 0; j < problem_.n_features; ++j) problem_.model.weights[j] = weight(j);
        *problem_.model.intercept = intercept_;
        if (state_.average.on()) {
            state_.average.snapshot(state_.average.clock_at(epoch.t_start + outcome.updates - 1.0),
                                    [&](std::size_t s) { return value(s); });
            state_.average.publish(problem_.model);
        }
        bool saturated = false;
        for (int tid = 0; tid < problem_.n_threads; ++tid) saturated = saturated || saturated_here_[tid];
        if (saturated && format_.range() < kMaxRange) widen_range(randoms_.front());
        return outcome;
    }

  private:
    // The stored weights from the caller's buffers, rounded stochastically;
    // the fixed-point range from max(the natural weight size, 2 x the largest weight).
    void load_weights(std::uint64_t seed) {
        double largest = 0.0;
        for (std::int64_t j = 0; j < problem_.n_features; ++j)
            largest = std::max(largest, std::fabs(problem_.model.weights[j]));
        format_.set_range(std::min(kMaxRange, std::max(natural_range_, 2.0 * largest)));
        stored_.resize(static_cast<std::size_t>(problem_.n_features));
        FastRandom random(seed);
        bool saturated = false;
        for (std::int64_t j = 0; j < problem_.n_features; ++j)
            stored_[static_cast<std::size_t>(j)] = format_.encode(problem_.model.weights[j], random, saturated);
        intercept_ = *problem_.model.intercept;
    }

    double weight(std::int64_t j) {
        return format_.decode(
            std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)]).load(std::memory_order_relaxed));
    }
    // (slot n_features: the intercept)
    double value(std::size_t s) {
        return s == static_cast<std::size_t>(problem_.n_features) ? RacyWrites::read(intercept_)
                                                                  : weight(static_cast<std::int64_t>(s));
    }
    void store(std::int64_t j, double w, FastRandom& random, bool& saturated) {
        std::atomic_ref<Stored>(stored_[static_cast<std::size_t>(j)])
            .store(format_.encode(w, random, saturated), std::memory_order_relaxed);
    }

    // The shared low-precision weights as a thread reads and writes them
    // (see row_step.hpp): every write rounded stochastically.
    // (plain pointers and a copy of the format, so that they stay in registers)
    struct ThreadWeights {
        Stored* stored;
        Format format;
        const float* scales;
        double* intercept_value;
        FastRandom* random;
        bool* saturated;
        bool shared;  // other threads write these weights too

        double read(std::int64_t j) const {
            return format.decode(std::atomic_ref<Stored>(stored[j]).load(std::memory_order_relaxed));
        }
        // With other threads writing, a compare-and-swap: a plain store lost
        // whatever another thread wrote between the read and the write, and
        // dense features (in most rows) lost so many updates that a9a on 2
        // threads ended 3-10x further from the optimum than on one. `next` is
        // called once (it may advance an optimizer's state); a retry adds the
        // same change to the value another thread left.
        template <class Next>
        void update(std::int64_t j, Next&& next) {
            std::atomic_ref<Stored> slot(stored[j]);
            Stored seen = slot.load(std::memory_order_relaxed);
            const double w = format.decode(seen);
            const double scale = static_cast<double>(scales[j]);
            const double updated = next(w, scale);
            Stored target = format.encode(updated, *random, *saturated);
            if (!shared || scale > kMaxContendedScale) {
                slot.store(target, std::memory_order_relaxed);
                return;
            }
            const double change = updated - w;
            while (!slot.compare_exchange_weak(seen, target, std::memory_order_relaxed))
                target = format.encode(format.decode(seen) + change, *random, *saturated);
        }
        double intercept() const { return AtomicWrites::read(*intercept_value); }
        void add_to_intercept(double change) {
            AtomicWrites::modify(*intercept_value, [&](double b) { return b + change; });
        }
    };

    static constexpr double kMaxRange = 1e12;
    static constexpr double kMinRange = 1e-200;  // (features of size 1e30 need 1e-30)
    // Double the fixed-point range (no-op for bfloat16), re-rounding the weights.
    void widen_range(FastRandom& random) {
        Format wider = format_;
        wider.set_range(2.0 * format_.range());
        bool saturated = false;
        for (auto& q : stored_) q = wider.encode(format_.decode(q), random, saturated);
        format_ = wider;
    }

    const SolverProblem<View> problem_;

    SharedRowsState state_;  // optimizer state, averages, L1 books, epoch sums
    Format format_;
    std::vector<Stored> stored_;  // the shared low-precision weights
    double intercept_ = 0.0;
    std::vector<float> scales_;
    std::vector<FastRandom> randoms_;  // one per thread
    double t_ = 1.0;                   // scikit-learn's t after the last published epoch
    PerThread<bool> saturated_here_;   // a write saturated this epoch
    const double natural_range_;       // where the fixed-point range starts (natural_weight_range)
};

template <class View>
std::unique_ptr<TrainingSession> make_buckwild_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                       const ModelState& model) {
    switch (config.solver.precision) {
        case Precision::int8:
            return make_solver_session<View, BuckwildSolver<View, FixedPoint<std::int8_t>>>(X, targets, config, model);
        case Precision::bfloat16:
            return make_solver_session<View, BuckwildSolver<View, BFloat16>>(X, targets, config, model);
        case Precision::int16:
            break;
    }
    return make_solver_session<View, BuckwildSolver<View, FixedPoint<std::int16_t>>>(X, targets, config, model);
}

}  // namespace hogwild

HOGWILD_INSTANTIATE_SOLVER(make_buckwild_session)
