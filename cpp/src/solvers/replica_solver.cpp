// Solvers in which every thread trains a private replica of the whole model
// and the replicas meet at synchronization points, every `sync_every` rows
// of each thread:
//  * local SGD (model averaging): the replicas are replaced by their mean;
//  * EASGD (elastic averaging SGD, Zhang, Choromanska & LeCun 2015,
//    synchronous variant): each replica moves a fraction `elasticity` of
//    its distance towards a center variable and the center moves by the
//    same elastic forces towards the replicas; the model is the center.
// Threads never write shared weights between synchronizations, so there is
// no contention and, for a given thread count and seed, the result is
// deterministic (each coordinate is combined by one thread, in replica
// order).
//
// Plain SGD takes the L1 part of the penalty as the cumulative penalty
// (exact zeros). The mean of replicas that each clipped a weight at zero is
// not zero unless all did (Yuan, Zaheer & Reddi, "Federated composite
// optimization", 2021), so local SGD applies it at the synchronizations, on
// the combined model (the consensus with a regularizer of Boyd et al.,
// "Distributed optimization and statistical learning via ADMM", 2011,
// section 7.1.1). EASGD's replicas are tied to the center only elastically
// and need a penalty of their own: each keeps its own books; a weight that
// every replica holds at exactly zero is zero in the center (the limit the
// elastic forces, c <- c (1 - n elasticity), approach).

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hogwild/core/uninitialized_vector.hpp"
#include "hogwild/linear/penalty.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/row_order.hpp"
#include "row_step.hpp"
#include "hogwild/runtime/cumulative_l1.hpp"
#include "hogwild/runtime/epoch_driver.hpp"
#include "hogwild/runtime/iterate_average.hpp"
#include "hogwild/runtime/session.hpp"
#include "hogwild/runtime/solver_problem.hpp"
#include "hogwild/runtime/training_rows.hpp"
#include "hogwild/runtime/schedule.hpp"
#include "hogwild/solvers.hpp"
#include "data_layouts.hpp"
#include "deterministic_hogwild.hpp"

namespace hogwild {

// One private replica of the model per thread: n_features weights, then the intercept.
using ThreadReplicas = std::vector<UninitializedVector<double>>;

// The model averaging of local SGD: every replica becomes the mean.
struct ModelAveraging {
    static ModelAveraging from(const TrainConfig&) { return {}; }
    // Combines coordinate j of all replicas; returns the model's value.
    double combine(ThreadReplicas& replicas, std::vector<double>& /*center*/, std::size_t j) const {
        double sum = 0.0;
        for (const auto& replica : replicas) sum += replica[j];
        const double mean = sum / static_cast<double>(replicas.size());
        for (auto& replica : replicas) replica[j] = mean;
        return mean;
    }
    // The model's coordinate j becomes `value` (after the L1 penalty).
    static void set_model(ThreadReplicas& replicas, std::vector<double>& /*center*/, std::size_t j,
                          double value) {
        for (auto& replica : replicas) replica[j] = value;
    }
    static constexpr bool has_center = false;
    static constexpr bool l1_at_consensus = true;
    static constexpr bool averages_replica_mean = false;  // (the model is their mean)
};

// EASGD's elastic forces (equations 5-6 of the paper, with moving rate
// alpha = elasticity): x_i -= alpha (x_i - c); c += alpha sum_i (x_i - c).
struct ElasticAveraging {
    double elasticity = 0.1;
    bool zero_where_replicas_agree = false;  // (cumulative L1, see above)
    static ElasticAveraging from(const TrainConfig& config) {
        return ElasticAveraging{config.solver.elasticity,
                                config.step.optimizer == Optimizer::sgd && penalty_strength(config).l1 > 0.0};
    }
    double combine(ThreadReplicas& replicas, std::vector<double>& center, std::size_t j) const {
        if (zero_where_replicas_agree && j + 1 < center.size() &&
            std::all_of(replicas.begin(), replicas.end(), [&](const auto& replica) { return replica[j] == 0.0; }))
            return center[j] = 0.0;
        const double c = center[j];
        double pull = 0.0;
        for (auto& replica : replicas) {
            const double force = elasticity * (replica[j] - c);
            replica[j] -= force;
            pull += force;
        }
        center[j] = c + pull;
        return center[j];
    }
    static void set_model(ThreadReplicas& /*replicas*/, std::vector<double>& center, std::size_t j,
                          double value) {
        center[j] = value;
    }
    static constexpr bool has_center = true;
    static constexpr bool l1_at_consensus = false;
    // average=True averages the replicas' mean, not the center: the center
    // is already a moving average of the replicas that lags them by about
    // 1 / (elasticity x threads) synchronizations, and averaging it again
    // weighed that lag in (ridge, 2 threads, 10 epochs: relative gap 24.5
    // against local SGD's 0.19; see tests/test_replica_solvers.py)
    static constexpr bool averages_replica_mean = true;
};

// Deterministic Hogwild! (solver="hogwild", deterministic=True, several
// threads): the rows' updates land at fixed points instead of whenever a
// thread writes. Every sync_every rows a coordinate becomes its last value
// plus the mean change of the replicas that changed it: a coordinate one
// thread alone touched takes that thread's updates whole, as in Hogwild!;
// one that several touched takes the mean of their changes, as local SGD
// does, instead of their sum (summing made a coordinate that every row
// touches take team-size steps at once: +36% objective after 5 epochs on
// bench/bench_deterministic.py's 1M-row Zipf problem; the mean: -0.03%).
// The L1 owed is the replicas' mean pull, as for local SGD.
struct ChangeMerging {
    static ChangeMerging from(const TrainConfig&) { return {}; }
    // `center` holds the last combined model.
    double combine(ThreadReplicas& replicas, std::vector<double>& center, std::size_t j) const {
        const double last = center[j];
        double change = 0.0;
        int changed = 0;
        for (const auto& replica : replicas) {
            change += replica[j] - last;
            changed += replica[j] != last ? 1 : 0;
        }
        const double value = changed > 0 ? last + change / changed : last;
        set_model(replicas, center, j, value);
        return value;
    }
    static void set_model(ThreadReplicas& replicas, std::vector<double>& center, std::size_t j,
                          double value) {
        center[j] = value;
        for (auto& replica : replicas) replica[j] = value;
    }
    static constexpr bool has_center = true;
    static constexpr bool l1_at_consensus = true;
    static constexpr bool averages_replica_mean = false;
};

template <class View, class Combine>
class ReplicaSolver {
  public:
    ReplicaSolver(const View& X, const Targets& targets, const TrainConfig& config, ModelState& model)
        : problem_(X, targets, config, model),
          combine_(Combine::from(config)),
          n_train_(count_training_rows(targets, X.n_rows)),
          scales_(regularization_scales(X, targets, n_train_)),
          sync_rows_(sync_every(n_train_)),
          placement_(packed_placement(config.parallel, problem_.n_threads)),
          row_strength_(consensus_l1_.on() ? PenaltyStrength{0.0, problem_.strength.l2} : problem_.strength),
          average_(config, model, X.nnz(), X.n_rows),
          loss_sum_(problem_.n_threads),
          updates_(problem_.n_threads),
          round_l1_pulls_(problem_.n_threads) {
        // everything is allocated here, before the parallel region, where an exception would terminate;
        // each replica is written first by its own thread, pinned where it will train, so that on a
        // machine of several NUMA nodes its pages lie on that thread's node
        replicas_.resize(static_cast<std::size_t>(problem_.n_threads));
        for (auto& replica : replicas_) replica.resize(static_cast<std::size_t>(problem_.n_features) + 1);
        touch_where_placed(placement_, config.parallel.pin_threads, [&](int tid) {
            auto& replica = replicas_[static_cast<std::size_t>(tid)];
            std::fill(replica.begin(), replica.end(), 0.0);
        });
        load_model();
        // each replica has its own optimizer state (none for plain sgd)
        const std::int64_t optimizer_slots = problem_.config.step.optimizer == Optimizer::sgd ? 0 : problem_.n_features + 1;
        optimizers_.assign(static_cast<std::size_t>(problem_.n_threads),
                           CoordinateOptimizer<PrivateOptimizerState>(problem_.config, optimizer_slots));
        replica_l1_.assign(static_cast<std::size_t>(problem_.n_threads),
                           CumulativeL1(problem_.config, problem_.strength, problem_.n_features,
                                        !Combine::l1_at_consensus));
    }

    // The caller wrote the model buffers: every replica (and the center) continues from them.
    void reload() {
        load_model();
        average_ = IterateAverage(problem_.config, problem_.model, problem_.X.nnz(), problem_.X.n_rows, t_);
    }

    int n_threads() const { return problem_.n_threads; }
    // (the team runs where the replicas were first written)
    ThreadPlacement placement() const { return placement_; }

    // The replicas' mean state; writing it sets every replica's.
    OptimizerMoments optimizer_moments() const {
        OptimizerMoments mean = optimizers_.front().moments();
        for (std::size_t r = 1; r < optimizers_.size(); ++r) {
            const OptimizerMoments other = optimizers_[r].moments();
            for (std::size_t k = 0; k < mean.first.size(); ++k) mean.first[k] += other.first[k];
            for (std::size_t k = 0; k < mean.second.size(); ++k) mean.second[k] += other.second[k];
        }
        const double n = static_cast<double>(optimizers_.size());
        for (double& value : mean.first) value /= n;
        for (double& value : mean.second) value /= n;
        return mean;
    }
    void set_optimizer_moments(const OptimizerMoments& moments) {
        for (auto& optimizer : optimizers_) optimizer.set_moments(moments);
    }

    // Rounds of sync_rows rows per thread, each ended by a synchronization
    // that every thread joins (the same number of rounds on every thread).
    void work(int tid, int team_size, const Epoch& epoch, ThreadTeam& team) {
        ReplicaWeights replica{replicas_[static_cast<std::size_t>(tid)].data(), problem_.n_features, scales_.data()};
        // (EASGD: the replica's own L1 books, on its own clock)
        CumulativeL1& row_l1 = replica_l1_[static_cast<std::size_t>(tid)];
        L1Clock row_l1_clock(row_l1, 1);
        auto& optimizer = optimizers_[static_cast<std::size_t>(tid)];
        const Share share = share_of(problem_.X.n_rows, tid, team_size);
        const std::int64_t longest_share = (problem_.X.n_rows + team_size - 1) / team_size;
        const std::int64_t rounds = std::max<std::int64_t>(1, (longest_share + sync_rows_ - 1) / sync_rows_);
        LossSum loss_sum;
        double& updates = updates_[tid];
        double& l1_pulls = round_l1_pulls_[tid];
        updates = 0.0;
        double updates_before_round = 0.0;  // all threads', at the last synchronization
        for (std::int64_t round = 0; round < rounds; ++round) {
            const std::int64_t from = std::min(share.end, share.begin + round * sync_rows_);
            const std::int64_t to = std::min(share.end, from + sync_rows_);
            double round_updates = 0.0;
            for (std::int64_t position = from; position < to; ++position) {
                prefetch_ahead(problem_.X, epoch.rows, position, share.end);
                const std::int64_t i = epoch.rows[position];
                if (!is_training_row(problem_.targets, i)) continue;
                // the schedule runs on the global update count, as if threads took turns
                const double t = epoch.t_start + updates_before_round + round_updates * team_size + tid;
                const double eta = problem_.step_size(t, epoch.eta);
                loss_sum.add(linear_row_step(problem_.config, row_strength_, problem_.X.row(i), problem_.targets.y[i],
                                             problem_.targets.sample_weight[i], eta, t, problem_.n_features, replica,
                                             optimizer, row_l1, row_l1_clock));
                l1_pulls += consensus_l1_.pull_of(eta);
                updates += 1.0;
                round_updates += 1.0;
            }
            // (only thread 0 may request a stop here, before the barrier: all threads see it after the next)
            if (tid == 0) team.poll_interrupt();
#pragma omp barrier
            double all_updates = 0.0;  // the same sum, in the same order, on every thread
            for (int other = 0; other < team_size; ++other) all_updates += updates_[other];
            updates_before_round = all_updates;
            synchronize(average_.clock_at(epoch.t_start + all_updates - 1.0), team_size);
#pragma omp barrier
            l1_pulls = 0.0;
            if (team.stop_requested()) break;
        }
        if (row_l1.on()) row_l1.set_total(row_l1.total() + row_l1_clock.own());
        loss_sum_[tid] = loss_sum.total();
    }

    EpochOutcome publish(const Epoch& epoch) {
        EpochOutcome outcome;
        outcome.loss_sum = loss_sum_.sum();
        outcome.updates = updates_.sum();
        t_ = epoch.t_start + outcome.updates;
        std::copy(published_.begin(), published_.end() - 1, problem_.model.weights);
        *problem_.model.intercept = published_.back();
        average_.publish(problem_.model);
        return outcome;
    }

  private:
    // Synchronizing all coordinates costs O(n_features) per thread; by default
    // threads synchronize every max(256, 16 x n_features / nonzeros-per-row)
    // rows, so that it stays about a sixteenth of the rows' own work.
    static constexpr std::int64_t kMinReplicaSyncRows = 256;
    static constexpr double kReplicaSyncWorkRatio = 16.0;

    // A private replica (see row_step.hpp): n_features weights, then the intercept.
    struct ReplicaWeights {
        double* values;
        std::int64_t n_features;
        const float* scales;

        double read(std::int64_t j) const { return values[j]; }
        template <class Next>
        void update(std::int64_t j, Next&& next) {
            values[j] = next(values[j], scales[j]);
        }
        double intercept() const { return values[n_features]; }
        void add_to_intercept(double change) { values[n_features] += change; }
    };

    void load_model() {
        std::vector<double> start(problem_.model.weights, problem_.model.weights + problem_.n_features);
        start.push_back(*problem_.model.intercept);
        for (auto& replica : replicas_) std::copy(start.begin(), start.end(), replica.begin());
        center_ = Combine::has_center ? start : std::vector<double>();
        published_ = start;
    }

    std::int64_t sync_every(std::int64_t n_train) const {
        if (problem_.config.parallel.sync_every > 0) return std::max<std::int64_t>(1, problem_.config.parallel.sync_every);
        const double nnz_per_row =
            problem_.X.n_rows > 0 ? static_cast<double>(problem_.X.nnz()) / problem_.X.n_rows : 1.0;
        const auto rows = static_cast<std::int64_t>(kReplicaSyncWorkRatio * static_cast<double>(problem_.n_features) /
                                                    std::max(1.0, nnz_per_row));
        return std::clamp<std::int64_t>(rows, kMinReplicaSyncRows,
                                        std::max<std::int64_t>(kMinReplicaSyncRows, n_train));
    }

    // Called by every thread between barriers: each combines its share of
    // the coordinates, applies the L1 penalty owed (plain sgd) and, when
    // averaging, adds the combined model, weighted by the updates since the
    // last synchronization, to the running sum.
    void synchronize(double clock, int team_size) {
        const std::int64_t size = problem_.n_features + 1;
        const double weight = average_.on() ? average_.weight_until(clock) : 0.0;
        // The combined model is a mean of the replicas: it owes the mean of
        // their pulls (the same sum, in the same order, on every thread).
        double round_pulls = 0.0;
        for (int other = 0; other < team_size; ++other) round_pulls += round_l1_pulls_[other];
        const double u = consensus_l1_.total() + round_pulls / team_size;
#pragma omp for schedule(static)
        for (std::int64_t j = 0; j < size; ++j) {
            const double averaged = Combine::averages_replica_mean && weight > 0.0 ? replica_mean(j) : 0.0;
            double value = combine_.combine(replicas_, center_, static_cast<std::size_t>(j));
            if (consensus_l1_.on() && j < problem_.n_features) {
                value = consensus_l1_.settle(u, j, value);  // (one owner per coordinate: exact books)
                combine_.set_model(replicas_, center_, static_cast<std::size_t>(j), value);
            }
            published_[static_cast<std::size_t>(j)] = value;
            if (weight > 0.0)
                average_.add_slot(static_cast<std::size_t>(j), weight,
                                  Combine::averages_replica_mean ? averaged : value);
        }
        // (the implicit barrier of `omp for` orders this after every thread read the clock)
#pragma omp single
        {
            if (average_.on()) average_.advance_to(clock);
            consensus_l1_.set_total(u);
        }
    }

    // Coordinate j's mean over the replicas (in replica order: deterministic).
    double replica_mean(std::int64_t j) const {
        double sum = 0.0;
        for (const auto& replica : replicas_) sum += replica[static_cast<std::size_t>(j)];
        return sum / static_cast<double>(replicas_.size());
    }

    const SolverProblem<View> problem_;
    const Combine combine_;
    const std::int64_t n_train_;
    const std::vector<float> scales_;
    const std::int64_t sync_rows_;

    ThreadReplicas replicas_;  // first written by their own threads (see the constructor)
    ThreadPlacement placement_;
    std::vector<CoordinateOptimizer<PrivateOptimizerState>> optimizers_;
    std::vector<double> center_;     // EASGD only
    std::vector<double> published_;  // the model after the last synchronization
    // the L1 penalty of plain sgd: local SGD's at the synchronizations (the
    // rows step without it), EASGD's per replica
    CumulativeL1 consensus_l1_{problem_.config, problem_.strength, problem_.n_features, Combine::l1_at_consensus};
    std::vector<CumulativeL1> replica_l1_;
    const PenaltyStrength row_strength_;
    IterateAverage average_;
    double t_ = 1.0;  // scikit-learn's t after the last published epoch
    PerThread<double> loss_sum_;
    PerThread<double> updates_;
    PerThread<double> round_l1_pulls_;  // since the last synchronization, per thread
};

template <class View>
std::unique_ptr<TrainingSession> make_local_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                    const ModelState& model) {
    return make_solver_session<View, ReplicaSolver<View, ModelAveraging>>(X, targets, config, model);
}

template <class View>
std::unique_ptr<TrainingSession> make_easgd_session(const View& X, const Targets& targets, const TrainConfig& config,
                                                    const ModelState& model) {
    return make_solver_session<View, ReplicaSolver<View, ElasticAveraging>>(X, targets, config, model);
}

template <class View>
std::unique_ptr<TrainingSession> make_deterministic_hogwild_session(const View& X, const Targets& targets,
                                                                    const TrainConfig& config, const ModelState& model) {
    return make_solver_session<View, ReplicaSolver<View, ChangeMerging>>(X, targets, config, model);
}

}  // namespace hogwild

HOGWILD_INSTANTIATE_SOLVER(make_deterministic_hogwild_session)
HOGWILD_INSTANTIATE_SOLVER(make_local_session)
HOGWILD_INSTANTIATE_SOLVER(make_easgd_session)
