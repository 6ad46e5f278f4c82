// The GPU trainer's algorithm, written once over a backend that supplies
// memory and parallel loops: CudaBackend (cpp/cuda/cuda_backend.cuh) runs
// the loop bodies as CUDA kernels, HostBackend (gpu/host_backend.hpp) as
// plain loops, so that CI checks the same bodies on a machine without a GPU.
// Include it only from a backend's translation unit.
//
// A Backend provides
//   template <class T> Buffer        device memory: resize(n), data(), size(),
//                                    upload(const T*, n), download(T*, n), zero()
//   template <class T> HostBuffer    host memory the device copies from quickly
//                                    (page-locked): resize(n), data()
//   for_each(n, f)                   f(i) for i in [0, n), in any order, in parallel
//   row_pass(n, lanes, part, done)   per row r: part(r, lane, lanes) for each lane, their
//                                    sum s (a fixed order), then done(r, s, lane, lanes)
//                                    for each lane; lanes is 1 or the warp's 32
//   kWarpLanes                       the lanes of a pass over long segments (CUDA: 32;
//                                    the host: 1, the CPU's order)
//   sum_pair_then(n, a, b, then)     then(sum a[0..n), sum b[0..n)) on one thread,
//                                    summed in a fixed order
//   stable_sort_pairs(...)           a stable sort of (key, value) pairs by key
//   exclusive_scan(in, out, n)       out[i] = in[0] + ... + in[i - 1], n + 1 outputs
//   synchronize()
//   activate()                       make its device the calling thread's (CUDA: cudaSetDevice)
// and runs everything it is given in order (one CUDA stream).
//
// One step of batch B (rows [first, first + n) of the epoch's gathered rows):
//  1. row pass: each row's margin p = b + w.x, its loss and derivative
//     d = loss'(p, y) x class weight x sample weight (clipped as on the CPU);
//     with the atomic reduction, also g_j += d x_j and count_j += 1 for
//     every nonzero (atomics);
//  2. one thread per feature: with the ordered reduction, g_j summed in row
//     order from the transposed copy of the epoch (each feature's nonzeros
//     sorted by epoch position; a cursor per feature advances one batch at a
//     time; the hot features, 32 or more nonzeros in an average batch, are
//     summed by a warp each between boundaries found once an epoch), then the feature's update (math/update_rule.hpp), exactly the
//     CPU minibatch solver's: the mean gradient, the penalty weighted by the
//     batch's rows containing the feature times n_train / rows(j);
//  3. one block: the intercept's step and the batch's loss, summed in a
//     fixed order.
// The CPU's sums of a batch's gradient run in the same row order; the
// margins' sums differ in order only when a warp shares a row (lanes = 32).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <stdexcept>
#include <string>
#include <vector>

#include "hogwild/core/platform.hpp"
#include "hogwild/gpu/batch_trainer.hpp"
#include "hogwild/math/loss.hpp"
#include "hogwild/math/optimizer_rule.hpp"
#include "hogwild/math/update_rule.hpp"

namespace hogwild::gpu {

// An atomic addition on the device; a plain one in the host emulation (its
// loops run one body at a time).
HOGWILD_HD inline void add_atomically(double* target, double value) {
#if defined(__CUDA_ARCH__)
    atomicAdd(target, value);
#else
    *target += value;
#endif
}
HOGWILD_HD inline void add_atomically(unsigned long long* target, unsigned long long value) {
#if defined(__CUDA_ARCH__)
    atomicAdd(target, value);
#else
    *target += value;
#endif
}

// A float32 value and its row's epoch position in one 64-bit word: the
// transposed copy of float32 data is sorted as such words, so that the sort
// moves each nonzero's value with it (no gather by sorted position after).
HOGWILD_HD inline unsigned long long pack_row_value(std::int64_t row, float value) {
    std::uint32_t bits = 0;
    memcpy(&bits, &value, sizeof(bits));
    return (static_cast<unsigned long long>(row) << 32) | bits;
}
HOGWILD_HD inline std::int64_t packed_row(unsigned long long word) { return static_cast<std::int64_t>(word >> 32); }
HOGWILD_HD inline float packed_value(unsigned long long word) {
    const auto bits = static_cast<std::uint32_t>(word & 0xffffffffull);
    float value = 0.0f;
    memcpy(&value, &bits, sizeof(value));
    return value;
}

// Everything a loop body reads and writes: raw pointers into the backend's
// memory and the session's constants, captured by value.
template <class Value, class Index>
struct DeviceModel {
    // the epoch's training rows, gathered in visiting order
    const Value* values = nullptr;        // CSR data, or dense rows
    const Index* indices = nullptr;       // CSR only
    const std::int64_t* indptr = nullptr;  // CSR only: n_train + 1
    const double* y = nullptr;
    const double* sample_weight = nullptr;
    std::int64_t n_cols = 0;
    // the transposed copy (ordered reduction on sparse data)
    const std::int64_t* column_start = nullptr;  // n_features + 1
    const std::int64_t* column_rows = nullptr;   // the nonzeros' epoch positions, by feature, in row order
    const Value* column_values = nullptr;
    const unsigned long long* column_packed = nullptr;  // float32 data: (position, value) words instead

    HOGWILD_HD std::int64_t column_row(std::int64_t c) const {
        return column_packed != nullptr ? packed_row(column_packed[c]) : column_rows[c];
    }
    HOGWILD_HD double column_value(std::int64_t c) const {
        return column_packed != nullptr ? static_cast<double>(packed_value(column_packed[c]))
                                        : static_cast<double>(column_values[c]);
    }
    std::int64_t* cursor = nullptr;  // per feature: its first nonzero not yet summed this epoch
    // hot features (many nonzeros a batch): summed by a warp each between
    // batch boundaries found once an epoch, not by one thread's walk
    const std::uint8_t* is_hot = nullptr;       // per feature
    const std::int64_t* hot_features = nullptr;  // the hot features
    const std::int64_t* hot_segments = nullptr;  // per hot feature: batches + 1 boundaries in the transposed copy
    std::int64_t batch_boundaries = 0;           // batches + 1
    // the model
    double* weights = nullptr;
    double* scalars = nullptr;  // [0] the intercept, [1] the epoch's summed loss
    double* first = nullptr;    // optimizer state, n_features + 1 (the intercept's last)
    double* second = nullptr;
    double* l1_received = nullptr;         // q_j of the cumulative L1 penalty
    const double* regularization_scale = nullptr;  // sparse: n_train / training rows containing j
    double* average_sum = nullptr;    // n_features + 1
    double* average_clock = nullptr;  // n_features + 1
    // the current batch
    double* derivative = nullptr;
    double* loss = nullptr;
    double* gradient = nullptr;               // atomic reduction: per feature, zero between steps
    unsigned long long* batch_count = nullptr;  // atomic reduction: rows of the batch containing j
    // constants
    TrainerSettings settings;
    std::int64_t n_features = 0;

    HOGWILD_HD bool dense() const { return indices == nullptr; }
    HOGWILD_HD std::int64_t row_begin(std::int64_t k) const { return dense() ? k * n_cols : indptr[k]; }
    HOGWILD_HD std::int64_t row_end(std::int64_t k) const { return dense() ? (k + 1) * n_cols : indptr[k + 1]; }
    HOGWILD_HD std::int64_t column(std::int64_t k, std::int64_t e) const {
        return dense() ? e - k * n_cols : static_cast<std::int64_t>(indices[e]);
    }

    // A lane's part of row k's margin: its nonzeros lane, lane + lanes, ...
    // (lane 0 starts from the intercept: with one lane, the CPU's order).
    HOGWILD_HD double margin_part(std::int64_t k, int lane, int lanes) const {
        double p = lane == 0 ? scalars[0] : 0.0;
        const std::int64_t end = row_end(k);
        for (std::int64_t e = row_begin(k) + lane; e < end; e += lanes)
            p += weights[column(k, e)] * static_cast<double>(values[e]);
        return p;
    }

    // Row k's loss and derivative from its margin p; with the atomic
    // reduction, its gradient terms (each lane its share of the nonzeros).
    HOGWILD_HD void finish_row(std::int64_t k, std::int64_t first_row, double p, int lane, int lanes) const {
        const double target = y[k];
        const double class_weight = target > 0.0 ? settings.weight_pos : settings.weight_neg;
        const double d = clipped(settings.loss.derivative(p, target)) * (class_weight * sample_weight[k]);
        if (lane == 0) {
            loss[k - first_row] = settings.loss.value(p, target);
            derivative[k - first_row] = d;
        }
        if (settings.reduction == Reduction::atomic && !dense()) {
            const std::int64_t end = row_end(k);
            for (std::int64_t e = row_begin(k) + lane; e < end; e += lanes) {
                const std::int64_t j = column(k, e);
                add_atomically(gradient + j, d * static_cast<double>(values[e]));
                add_atomically(batch_count + j, 1ull);
            }
        }
    }

    // Feature j's step: its gradient summed over the batch, then the update.
    HOGWILD_HD void update_feature(std::int64_t j, const BatchStep& step) const {
        const double inverse_rows = 1.0 / static_cast<double>(step.n_rows);
        double sum = 0.0;
        double penalty_weight = 1.0;  // dense: every row holds every feature
        if (dense()) {
            for (std::int64_t k = 0; k < step.n_rows; ++k)
                sum += derivative[k] * static_cast<double>(values[(step.first + k) * n_cols + j]);
        } else {
            std::int64_t rows = 0;
            if (settings.reduction == Reduction::ordered) {
                if (is_hot != nullptr && is_hot[j]) return;  // (summed by hot_part / finish_hot)
                std::int64_t c = cursor[j];
                const std::int64_t end = column_start[j + 1];
                const std::int64_t batch_end = step.first + step.n_rows;
                for (; c < end && column_row(c) < batch_end; ++c, ++rows)
                    sum += derivative[column_row(c) - step.first] * column_value(c);
                cursor[j] = c;
            } else {
                rows = static_cast<std::int64_t>(batch_count[j]);
                sum = gradient[j];
                gradient[j] = 0.0;
                batch_count[j] = 0;
            }
            if (rows == 0) return;  // (untouched: no step, as on the CPU)
            penalty_weight = static_cast<double>(rows) * regularization_scale[j] * inverse_rows;
        }
        update_coordinate(j, sum * inverse_rows, penalty_weight, step);
    }

    // A lane's part of hot feature h's batch gradient: the feature's
    // nonzeros in batch `batch`, every lanes-th from the lane's (one lane:
    // the CPU's row order).
    HOGWILD_HD double hot_part(std::int64_t h, std::int64_t batch, const BatchStep& step, int lane, int lanes) const {
        const std::int64_t* segment = hot_segments + h * batch_boundaries + batch;
        double sum = 0.0;
        for (std::int64_t c = segment[0] + lane; c < segment[1]; c += lanes)
            sum += derivative[column_row(c) - step.first] * column_value(c);
        return sum;
    }

    // Hot feature h's update from its summed batch gradient (lane 0).
    HOGWILD_HD void finish_hot(std::int64_t h, std::int64_t batch, double sum, const BatchStep& step, int lane) const {
        if (lane != 0) return;
        const std::int64_t* segment = hot_segments + h * batch_boundaries + batch;
        const std::int64_t rows = segment[1] - segment[0];
        if (rows == 0) return;
        const std::int64_t j = hot_features[h];
        const double inverse_rows = 1.0 / static_cast<double>(step.n_rows);
        update_coordinate(j, sum * inverse_rows, static_cast<double>(rows) * regularization_scale[j] * inverse_rows,
                          step);
    }

    // The CPU minibatch solver's update_coordinate, term for term.
    HOGWILD_HD void update_coordinate(std::int64_t j, double gradient_mean, double penalty_weight,
                                      const BatchStep& step) const {
        const double before = weights[j];
        double w = before;
        if (settings.cumulative_l1) {
            w = sgd_coordinate_cumulative(w, -step.optimizer.eta * gradient_mean, step.l2_step, penalty_weight,
                                          step.l1_total, l1_received[j]);
        } else if (settings.rule.kind == Optimizer::sgd) {
            w = sgd_coordinate(w, -step.optimizer.eta * gradient_mean, step.l2_step, penalty_weight);
        } else {
            w += change(j, regularized_gradient(w, gradient_mean, settings.strength, penalty_weight), step);
        }
        weights[j] = w;
        if (settings.averaging) accumulate_average(j, before, w, step);
    }

    // The intercept's step (slot n_features) and the batch's loss.
    HOGWILD_HD void update_intercept(double derivative_sum, double loss_sum, const BatchStep& step) const {
        scalars[1] += loss_sum;
        const double before = scalars[0];
        if (settings.fit_intercept)
            scalars[0] += change(n_features, settings.intercept_decay * derivative_sum / static_cast<double>(step.n_rows),
                                 step);
        if (settings.averaging) accumulate_average(n_features, before, scalars[0], step);
    }

    HOGWILD_HD double change(std::int64_t slot, double gradient_value, const BatchStep& step) const {
        if (settings.rule.kind == Optimizer::sgd) return -step.optimizer.eta * gradient_value;
        double unused = 0.0;
        double& f = settings.rule.uses_first() ? first[slot] : unused;
        double& s = settings.rule.uses_second() ? second[slot] : unused;
        return optimizer_change(settings.rule, gradient_value, step.optimizer, f, s);
    }

    // Averaged iterates, kept lazily as the CPU solver keeps them.
    HOGWILD_HD void accumulate_average(std::int64_t slot, double before, double after, const BatchStep& step) const {
        average_sum[slot] += before * (step.average_clock_before - average_clock[slot]) +
                             after * (step.average_clock_after - step.average_clock_before);
        average_clock[slot] = step.average_clock_after;
    }
};

template <class Backend, class Value, class Index>
class BackendTrainer final : public BatchTrainer {
    template <class T>
    using Buffer = typename Backend::template Buffer<T>;

  public:
    BackendTrainer(const MatrixRef& X, const Targets& targets, const TrainerSettings& settings)
        : backend_(settings.device), settings_(settings), sparse_(X.sparse), n_rows_(X.n_rows),
          n_features_(X.n_cols), nnz_(X.nnz) {
        values_.upload(static_cast<const Value*>(X.values), static_cast<std::size_t>(X.nnz));
        if (sparse_) {
            indices_.upload(static_cast<const Index*>(X.indices), static_cast<std::size_t>(X.nnz));
            indptr_.upload(static_cast<const Index*>(X.indptr), static_cast<std::size_t>(X.n_rows) + 1);
        }
        y_.upload(targets.y, static_cast<std::size_t>(X.n_rows));
        sample_weight_.upload(targets.sample_weight, static_cast<std::size_t>(X.n_rows));
        // the training rows and their nonzeros (validation rows are left out of every epoch)
        n_train_ = 0;
        for (std::int64_t i = 0; i < X.n_rows; ++i) {
            if (targets.validation_mask != nullptr && targets.validation_mask[i]) continue;
            ++n_train_;
            train_nnz_ += !sparse_ ? X.n_cols
                                   : row_length(static_cast<const Index*>(X.indptr), i);
        }

        packed_ = sparse_ && std::is_same_v<Value, float> && settings_.reduction == Reduction::ordered &&
                  n_train_ < (std::int64_t{1} << 31);
        const auto n = static_cast<std::size_t>(n_features_);
        weights_.resize(n);
        scalars_.resize(2);
        scalars_.zero();
        if (settings_.rule.uses_first()) (first_.resize(n + 1), first_.zero());
        if (settings_.rule.uses_second()) (second_.resize(n + 1), second_.zero());
        if (settings_.cumulative_l1) (l1_received_.resize(n), l1_received_.zero());
        if (settings_.averaging) (average_sum_.resize(n + 1), average_clock_.resize(n + 1), averages_.resize(n + 1));
        derivative_.resize(static_cast<std::size_t>(std::max<std::int64_t>(1, settings_.max_batch_rows)));
        loss_.resize(derivative_.size());
        order_.resize(static_cast<std::size_t>(std::max<std::int64_t>(1, n_train_)));
        order_host_.resize(order_.size());
        gathered_values_.resize(static_cast<std::size_t>(X.nnz));
        gathered_y_.resize(order_.size());
        gathered_sample_weight_.resize(order_.size());
        if (sparse_) {
            gathered_indices_.resize(static_cast<std::size_t>(X.nnz));
            gathered_indptr_.resize(order_.size() + 1);
            row_length_.resize(order_.size() + 1);
            count_feature_rows(targets);
            if (settings_.reduction == Reduction::atomic) {
                gradient_.resize(n);
                gradient_.zero();
                batch_count_.resize(n);
                batch_count_.zero();
            } else {
                const auto nnz = static_cast<std::size_t>(train_nnz_);
                cursor_.resize(n);
                sorted_columns_.resize(nnz);
                if (packed_) {
                    packed_values_.resize(nnz);
                    column_packed_.resize(nnz);
                } else {
                    row_of_value_.resize(nnz);
                    positions_.resize(nnz);
                    sorted_positions_.resize(nnz);
                    column_rows_.resize(nnz);
                    column_values_.resize(nnz);
                }
            }
        }
    }

    static std::int64_t row_length(const Index* indptr, std::int64_t i) {
        return static_cast<std::int64_t>(indptr[i + 1]) - static_cast<std::int64_t>(indptr[i]);
    }

    // (public for CUDA's extended lambdas, which a private member may not enclose)
    // Training rows containing each feature (with its nonzeros' count, the
    // transposed copy's column starts) and the penalty's scale n_train / rows(j).
    void count_feature_rows(const Targets& targets) {
        const auto n = static_cast<std::size_t>(n_features_);
        Buffer<std::uint8_t> mask;
        const std::uint8_t* training_mask = nullptr;
        if (targets.validation_mask != nullptr) {
            mask.upload(targets.validation_mask, static_cast<std::size_t>(n_rows_));
            training_mask = mask.data();
        }
        Buffer<unsigned long long> counts;
        counts.resize(n + 1);
        counts.zero();
        unsigned long long* count = counts.data();
        const Index* indptr = indptr_.data();
        const Index* indices = indices_.data();
        backend_.row_pass(
            n_rows_, Backend::lanes_for(nnz_, n_rows_),
            [=] HOGWILD_HD(std::int64_t, int, int) { return 0.0; },
            [=] HOGWILD_HD(std::int64_t i, double, int lane, int lanes) {
                if (training_mask != nullptr && training_mask[i]) return;
                for (std::int64_t e = static_cast<std::int64_t>(indptr[i]) + lane;
                     e < static_cast<std::int64_t>(indptr[i + 1]); e += lanes)
                    add_atomically(count + indices[e], 1ull);
            });
        regularization_scale_.resize(n);
        double* scale = regularization_scale_.data();
        const double n_train = static_cast<double>(n_train_);
        backend_.for_each(n_features_, [=] HOGWILD_HD(std::int64_t j) {
            scale[j] = count[j] > 0 ? n_train / static_cast<double>(count[j]) : 0.0;
        });
        if (settings_.reduction == Reduction::ordered) {
            column_start_.resize(n + 1);
            backend_.exclusive_scan(reinterpret_cast<const std::int64_t*>(count), column_start_.data(),
                                    n_features_);
            std::vector<unsigned long long> host_counts(n);
            counts.download(host_counts.data(), n);
            choose_hot_features(host_counts);
        }
        backend_.synchronize();  // (the temporaries go out of scope)
    }

    // Features with kHotRows or more nonzeros in an average batch: one
    // thread's walk through them would be a chain of dependent loads (a
    // feature in every row: a batch's rows, one after another).
    static constexpr std::int64_t kHotRows = 32;
    void choose_hot_features(const std::vector<unsigned long long>& counts) {
        const std::int64_t batch = std::max<std::int64_t>(1, std::min(settings_.max_batch_rows, n_train_));
        batches_ = n_train_ > 0 ? (n_train_ + batch - 1) / batch : 0;
        std::vector<std::int64_t> hot;
        std::vector<std::uint8_t> is_hot(counts.size(), 0);
        for (std::size_t j = 0; j < counts.size(); ++j)
            if (n_train_ > 0 && static_cast<std::int64_t>(counts[j]) * batch >= kHotRows * n_train_) {
                hot.push_back(static_cast<std::int64_t>(j));
                is_hot[j] = 1;
            }
        n_hot_ = static_cast<std::int64_t>(hot.size());
        if (n_hot_ == 0) return;
        hot_features_.upload(hot.data(), hot.size());
        is_hot_.upload(is_hot.data(), is_hot.size());
        hot_segments_.resize(static_cast<std::size_t>(n_hot_ * (batches_ + 1)));
    }

    std::int64_t* epoch_rows() override { return order_host_.data(); }

    void start_epoch() override {
        backend_.activate();
        const std::int64_t n_train = n_train_;
        if (n_train_ == 0) return;
        order_.upload(order_host_.data(), static_cast<std::size_t>(n_train));
        const std::int64_t* order = order_.data();
        const double* y = y_.data();
        const double* sample_weight = sample_weight_.data();
        double* gathered_y = gathered_y_.data();
        double* gathered_sample_weight = gathered_sample_weight_.data();
        backend_.for_each(n_train_, [=] HOGWILD_HD(std::int64_t k) {
            gathered_y[k] = y[order[k]];
            gathered_sample_weight[k] = sample_weight[order[k]];
        });
        const Value* values = values_.data();
        Value* gathered_values = gathered_values_.data();
        if (!sparse_) {
            const std::int64_t n_cols = n_features_;
            backend_.for_each(n_train_ * n_cols, [=] HOGWILD_HD(std::int64_t e) {
                const std::int64_t k = e / n_cols;
                gathered_values[e] = values[order[k] * n_cols + (e - k * n_cols)];
            });
            return;
        }
        const Index* indptr = indptr_.data();
        const Index* indices = indices_.data();
        std::int64_t* length = row_length_.data();
        backend_.for_each(n_train_ + 1, [=] HOGWILD_HD(std::int64_t k) {
            length[k] = k < n_train ? static_cast<std::int64_t>(indptr[order[k] + 1] - indptr[order[k]]) : 0;
        });
        std::int64_t* start = gathered_indptr_.data();
        backend_.exclusive_scan(length, start, n_train_);
        Index* gathered_indices = gathered_indices_.data();
        const bool ordered = settings_.reduction == Reduction::ordered;
        std::int64_t* row_of_value = ordered && !packed_ ? row_of_value_.data() : nullptr;
        unsigned long long* packed = packed_ ? packed_values_.data() : nullptr;
        backend_.row_pass(
            n_train_, Backend::lanes_for(nnz_, n_rows_),
            [=] HOGWILD_HD(std::int64_t, int, int) { return 0.0; },
            [=] HOGWILD_HD(std::int64_t k, double, int lane, int lanes) {
                const std::int64_t from = static_cast<std::int64_t>(indptr[order[k]]);
                const std::int64_t to = start[k];
                for (std::int64_t e = lane; e < start[k + 1] - to; e += lanes) {
                    gathered_values[to + e] = values[from + e];
                    gathered_indices[to + e] = indices[from + e];
                    if (row_of_value != nullptr) row_of_value[to + e] = k;
                    if (packed != nullptr) packed[to + e] = pack_row_value(k, static_cast<float>(values[from + e]));
                }
            });
        if (ordered) transpose_epoch();
    }

    // The transposed copy of the epoch's rows: each feature's nonzeros in
    // epoch order (a stable sort by column of the nonzeros' positions).
    void transpose_epoch() {
        int column_bits = 1;
        while (column_bits < 63 && (std::int64_t{1} << column_bits) < n_features_) ++column_bits;
        if (packed_) {
            backend_.stable_sort_pairs(gathered_indices_.data(), sorted_columns_.data(), packed_values_.data(),
                                       column_packed_.data(), train_nnz_, column_bits);
            rewind_cursors();
            if (n_hot_ > 0) find_hot_segments();
            return;
        }
        std::int64_t* positions = positions_.data();
        backend_.for_each(train_nnz_, [=] HOGWILD_HD(std::int64_t e) { positions[e] = e; });
        backend_.stable_sort_pairs(gathered_indices_.data(), sorted_columns_.data(), positions,
                                   sorted_positions_.data(), train_nnz_, column_bits);
        const std::int64_t* sorted = sorted_positions_.data();
        const std::int64_t* row_of_value = row_of_value_.data();
        const Value* gathered_values = gathered_values_.data();
        std::int64_t* column_rows = column_rows_.data();
        Value* column_values = column_values_.data();
        backend_.for_each(train_nnz_, [=] HOGWILD_HD(std::int64_t s) {
            column_rows[s] = row_of_value[sorted[s]];
            column_values[s] = gathered_values[sorted[s]];
        });
        rewind_cursors();
        if (n_hot_ > 0) find_hot_segments();
    }

    // Each hot feature's first nonzero of every batch (and its end): a
    // binary search per (feature, batch) in the feature's rows.
    void find_hot_segments() {
        const std::int64_t boundaries = batches_ + 1;
        const std::int64_t batch = std::max<std::int64_t>(1, std::min(settings_.max_batch_rows, n_train_));
        const std::int64_t n_train = n_train_;
        const std::int64_t* hot = hot_features_.data();
        const std::int64_t* column_start = column_start_.data();
        const DeviceModel<Value, Index> model = device_model();
        std::int64_t* segments = hot_segments_.data();
        backend_.for_each(n_hot_ * boundaries, [=] HOGWILD_HD(std::int64_t i) {
            const std::int64_t h = i / boundaries;
            const std::int64_t start = (i - h * boundaries) * batch;
            const std::int64_t position = start < n_train ? start : n_train;
            std::int64_t lo = column_start[hot[h]], hi = column_start[hot[h] + 1];
            while (lo < hi) {  // the first nonzero at or after `position`
                const std::int64_t middle = lo + (hi - lo) / 2;
                if (model.column_row(middle) < position)
                    lo = middle + 1;
                else
                    hi = middle;
            }
            segments[i] = lo;
        });
    }

    // Every feature's cursor at its first nonzero of the epoch.
    void rewind_cursors() {
        const std::int64_t* column_start = column_start_.data();
        std::int64_t* cursor = cursor_.data();
        backend_.for_each(n_features_, [=] HOGWILD_HD(std::int64_t j) { cursor[j] = column_start[j]; });
    }

    void step(const BatchStep& step) override {
        backend_.activate();
        if (step.n_rows < 1 || step.n_rows > static_cast<std::int64_t>(derivative_.size()))
            throw std::logic_error("a batch larger than the trainer's buffers");
        const DeviceModel<Value, Index> model = device_model();
        const std::int64_t first = step.first;
        const int lanes = Backend::lanes_for(nnz_, n_rows_);
        backend_.row_pass(
            step.n_rows, lanes,
            [=] HOGWILD_HD(std::int64_t r, int lane, int n_lanes) { return model.margin_part(first + r, lane, n_lanes); },
            [=] HOGWILD_HD(std::int64_t r, double p, int lane, int n_lanes) {
                model.finish_row(first + r, first, p, lane, n_lanes);
            });
        backend_.for_each(n_features_, [=] HOGWILD_HD(std::int64_t j) { model.update_feature(j, step); });
        if (n_hot_ > 0) {
            const std::int64_t batch = step.first / std::max<std::int64_t>(1, settings_.max_batch_rows);
            backend_.row_pass(
                n_hot_, Backend::kWarpLanes,
                [=] HOGWILD_HD(std::int64_t h, int lane, int n_lanes) { return model.hot_part(h, batch, step, lane, n_lanes); },
                [=] HOGWILD_HD(std::int64_t h, double sum, int lane, int) { model.finish_hot(h, batch, sum, step, lane); });
        }
        backend_.sum_pair_then(step.n_rows, model.derivative, model.loss,
                               [=] HOGWILD_HD(double derivative_sum, double loss_sum) {
                                   model.update_intercept(derivative_sum, loss_sum, step);
                               });
    }

    double finish_epoch() override {
        backend_.activate();
        double scalars[2];
        scalars_.download(scalars, 2);  // (waits for the queued work)
        const double loss_sum = scalars[1];
        scalars[1] = 0.0;
        scalars_.upload(scalars, 2);
        if (sparse_ && settings_.reduction == Reduction::ordered) rewind_cursors();  // (gd reuses its order)
        return loss_sum;
    }

    void download_model(double* weights, double* intercept) override {
        backend_.activate();
        weights_.download(weights, static_cast<std::size_t>(n_features_));
        double scalars[2];
        scalars_.download(scalars, 2);
        *intercept = scalars[0];
    }

    void upload_model(const double* weights, double intercept) override {
        backend_.activate();
        weights_.upload(weights, static_cast<std::size_t>(n_features_));
        double scalars[2];
        scalars_.download(scalars, 2);
        scalars[0] = intercept;
        scalars_.upload(scalars, 2);
    }

    void start_averages(const double* average_weights, double average_intercept, double clock) override {
        backend_.activate();
        std::vector<double> sums(static_cast<std::size_t>(n_features_) + 1);
        for (std::int64_t j = 0; j < n_features_; ++j) sums[static_cast<std::size_t>(j)] = average_weights[j] * clock;
        sums.back() = average_intercept * clock;
        average_sum_.upload(sums.data(), sums.size());
        std::fill(sums.begin(), sums.end(), clock);
        average_clock_.upload(sums.data(), sums.size());
    }

    void publish_averages(double clock, double* average_weights, double* average_intercept) override {
        backend_.activate();
        const DeviceModel<Value, Index> model = device_model();
        const std::int64_t n = n_features_;
        double* averages = averages_.data();
        backend_.for_each(n + 1, [=] HOGWILD_HD(std::int64_t s) {
            const double value = s < n ? model.weights[s] : model.scalars[0];
            model.average_sum[s] += value * (clock - model.average_clock[s]);
            model.average_clock[s] = clock;
            averages[s] = clock > 0.0 ? model.average_sum[s] / clock : value;
        });
        std::vector<double> published(static_cast<std::size_t>(n) + 1);  // (the intercept's last)
        averages_.download(published.data(), published.size());
        std::copy(published.begin(), published.end() - 1, average_weights);
        *average_intercept = published.back();
    }

    OptimizerMoments moments() override {
        backend_.activate();
        OptimizerMoments out;
        if (settings_.rule.uses_first()) {
            out.first.resize(first_.size());
            first_.download(out.first.data(), out.first.size());
        }
        if (settings_.rule.uses_second()) {
            out.second.resize(second_.size());
            second_.download(out.second.data(), out.second.size());
        }
        return out;
    }

    void set_moments(const OptimizerMoments& moments) override {
        backend_.activate();
        if (!moments.first.empty()) first_.upload(moments.first.data(), moments.first.size());
        if (!moments.second.empty()) second_.upload(moments.second.data(), moments.second.size());
    }

    DeviceModel<Value, Index> device_model() {
        DeviceModel<Value, Index> m;
        m.values = gathered_values_.data();
        m.indices = sparse_ ? gathered_indices_.data() : nullptr;
        m.indptr = sparse_ ? gathered_indptr_.data() : nullptr;
        m.y = gathered_y_.data();
        m.sample_weight = gathered_sample_weight_.data();
        m.n_cols = n_features_;
        m.column_start = column_start_.data();
        m.column_rows = column_rows_.data();
        m.column_values = column_values_.data();
        m.column_packed = packed_ ? column_packed_.data() : nullptr;
        m.cursor = cursor_.data();
        m.is_hot = n_hot_ > 0 ? is_hot_.data() : nullptr;
        m.hot_features = hot_features_.data();
        m.hot_segments = hot_segments_.data();
        m.batch_boundaries = batches_ + 1;
        m.weights = weights_.data();
        m.scalars = scalars_.data();
        m.first = first_.data();
        m.second = second_.data();
        m.l1_received = l1_received_.data();
        m.regularization_scale = regularization_scale_.data();
        m.average_sum = average_sum_.data();
        m.average_clock = average_clock_.data();
        m.derivative = derivative_.data();
        m.loss = loss_.data();
        m.gradient = gradient_.data();
        m.batch_count = batch_count_.data();
        m.settings = settings_;
        m.n_features = n_features_;
        return m;
    }

  private:
    Backend backend_;
    const TrainerSettings settings_;
    const bool sparse_;
    const std::int64_t n_rows_, n_features_, nnz_;
    std::int64_t n_train_ = 0;
    std::int64_t train_nnz_ = 0;  // the training rows' nonzeros
    // the caller's data, copied once
    Buffer<Value> values_;
    Buffer<Index> indices_, indptr_;
    Buffer<double> y_, sample_weight_;
    // the epoch's rows, gathered in visiting order
    typename Backend::template HostBuffer<std::int64_t> order_host_;  // (filled by the caller)
    Buffer<std::int64_t> order_, row_length_, gathered_indptr_;
    Buffer<Value> gathered_values_;
    Buffer<Index> gathered_indices_;
    Buffer<double> gathered_y_, gathered_sample_weight_;
    // the transposed copy (ordered reduction)
    Buffer<std::int64_t> column_start_, cursor_, row_of_value_, positions_, sorted_positions_, column_rows_;
    Buffer<Index> sorted_columns_;
    Buffer<Value> column_values_;
    bool packed_ = false;  // float32 data: the transposed copy as (position, value) words
    Buffer<unsigned long long> packed_values_, column_packed_;
    std::int64_t n_hot_ = 0, batches_ = 0;
    Buffer<std::int64_t> hot_features_, hot_segments_;
    Buffer<std::uint8_t> is_hot_;
    // the model and the batch
    Buffer<double> weights_, scalars_, first_, second_, l1_received_, regularization_scale_, average_sum_,
        average_clock_, averages_, derivative_, loss_, gradient_;
    Buffer<unsigned long long> batch_count_;
};

// The trainer for the data's value and index types.
template <class Backend>
std::unique_ptr<BatchTrainer> make_backend_trainer(const MatrixRef& X, const Targets& targets,
                                                   const TrainerSettings& settings) {
    if (X.double_values) {
        if (X.int64_indices) return std::make_unique<BackendTrainer<Backend, double, std::int64_t>>(X, targets, settings);
        return std::make_unique<BackendTrainer<Backend, double, std::int32_t>>(X, targets, settings);
    }
    if (X.int64_indices) return std::make_unique<BackendTrainer<Backend, float, std::int64_t>>(X, targets, settings);
    return std::make_unique<BackendTrainer<Backend, float, std::int32_t>>(X, targets, settings);
}

}  // namespace hogwild::gpu
