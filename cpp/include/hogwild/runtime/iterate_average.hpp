// Averaged SGD (Polyak & Juditsky 1992; scikit-learn's `average`): the
// model is the mean of the iterates from update t = average on.
//
// The parallel solvers keep it as a running sum of the model, each value
// weighted by the number of iterates it stands for, and a clock counting
// those iterates: average = sum / clock. The per-row solvers add a snapshot
// of the whole model every `snapshot_every` rows of the calling thread
// (O(d) work spread over about 4d nonzeros of training, so it stays
// O(nnz)) and once more at each epoch's end; the replica solvers add the
// combined model at each synchronization.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hogwild/config.hpp"

namespace hogwild {

// The number of iterates averaged once update t is done.
inline double averaging_clock(const TrainConfig& config, double t) {
    return std::max(0.0, t - static_cast<double>(config.step.average) + 1.0);
}

class IterateAverage {
  public:
    // Continues the average in the caller's buffers (warm starts,
    // partial_fit), which stands for the iterates before update t (by
    // default config.step.t_start, the start of the training call).
    IterateAverage(const TrainConfig& config, const ModelState& model, std::int64_t nnz, std::int64_t n_rows)
        : IterateAverage(config, model, nnz, n_rows, config.step.t_start) {}
    IterateAverage(const TrainConfig& config, const ModelState& model, std::int64_t nnz, std::int64_t n_rows,
                   double t)
        : average_from_(static_cast<double>(config.step.average)), on_(config.step.average > 0) {
        if (!on_) return;
        const std::int64_t n = model.n_features;
        clock_ = clock_at(t - 1.0);
        sum_.resize(static_cast<std::size_t>(n) + 1);
        for (std::int64_t j = 0; j < n; ++j) sum_[static_cast<std::size_t>(j)] = model.average_weights[j] * clock_;
        sum_.back() = *model.average_intercept * clock_;
        const double nnz_per_row = n_rows > 0 ? static_cast<double>(nnz) / static_cast<double>(n_rows) : 1.0;
        snapshot_every_ = std::max<std::int64_t>(
            16, static_cast<std::int64_t>(4.0 * static_cast<double>(n) / std::max(1.0, nnz_per_row)));
    }

    bool on() const { return on_; }
    double clock() const { return clock_; }
    double clock_at(double t) const { return std::max(0.0, t - average_from_ + 1.0); }
    // Rows of the snapshotting thread between two snapshots.
    std::int64_t snapshot_every() const { return snapshot_every_; }

    // Adds the model as `value(slot)` reads it (slot n_features: the
    // intercept) for the iterates between the last snapshot and `clock`.
    template <class Read>
    void snapshot(double clock, Read&& value) {
        const double weight = clock - clock_;
        if (weight <= 0.0) return;
        for (std::size_t s = 0; s < sum_.size(); ++s) sum_[s] += weight * value(s);
        clock_ = clock;
    }

    // For solvers that add slot by slot (in parallel, each slot by one
    // thread): the weight of a value added at `clock`, then add_slot for
    // every slot, then advance_to(clock) once.
    double weight_until(double clock) const { return std::max(0.0, clock - clock_); }
    void add_slot(std::size_t slot, double weight, double value) { sum_[slot] += weight * value; }
    void advance_to(double clock) { clock_ = std::max(clock_, clock); }

    // Writes the average into the caller's buffers (the model itself while
    // no iterate is averaged yet).
    void publish(ModelState& model) const {
        if (!on_) return;
        for (std::int64_t j = 0; j < model.n_features; ++j)
            model.average_weights[j] = clock_ > 0.0 ? sum_[static_cast<std::size_t>(j)] / clock_ : model.weights[j];
        *model.average_intercept = clock_ > 0.0 ? sum_.back() / clock_ : *model.intercept;
    }

  private:
    double average_from_;  // config.step.average: the first averaged update
    bool on_;
    std::vector<double> sum_;
    double clock_ = 0.0;
    std::int64_t snapshot_every_ = 16;
};

}  // namespace hogwild
