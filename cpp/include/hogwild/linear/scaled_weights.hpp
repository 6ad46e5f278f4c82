// A weight vector stored as scale * w, as in scikit-learn's WeightVector.
//
// L2 shrinks every weight each step; keeping the shrink in one scalar makes
// that O(1) instead of O(d), so a step on a sparse row costs O(nnz of the
// row). Averaged SGD uses the same trick: the running average is
// (average_acc + average_a * w) / average_b, updated in O(nnz).
//
// It also keeps scikit-learn's running norms (used only for the per-update
// objective that decides when to stop). As there, they are refreshed from
// the coordinates of the row just added, not from the whole vector: a
// quirk kept so that the sequential solver stops at the same epoch.
#pragma once

#include <cmath>
#include <cstdint>

namespace hogwild {

class ScaledWeights {
  public:
    ScaledWeights(double* weights, double* average, std::int64_t n_features)
        : w_(weights), average_(average), n_(n_features) {
        for (std::int64_t j = 0; j < n_; ++j) {
            squared_norm_ += w_[j] * w_[j];
            l1_norm_ += std::fabs(w_[j]);
        }
    }

    template <class Row>
    double dot(const Row& row) const {
        double sum = 0.0;
        for (std::int64_t k = 0; k < row.size(); ++k) sum += w_[row.index(k)] * row.value(k);
        return sum * scale_;
    }

    // w += c * x
    template <class Row>
    void add(const Row& row, double c) {
        const double step = c / scale_;
        double squares = 0.0, absolutes = 0.0;
        for (std::int64_t k = 0; k < row.size(); ++k) {
            double& w = w_[row.index(k)];
            w += row.value(k) * step;
            squares += w * w;
            absolutes += std::fabs(w);
        }
        squared_norm_ = squares * (scale_ * scale_);
        l1_norm_ = absolutes * scale_;
    }

    // Fold the step just taken (w += c * x) into the running average of the
    // iterates; `count` is how many iterates the average now covers.
    template <class Row>
    void add_to_average(const Row& row, double c, double count) {
        const double mu = 1.0 / count;
        const double step = -c / scale_;
        for (std::int64_t k = 0; k < row.size(); ++k) average_[row.index(k)] += average_a_ * row.value(k) * step;
        if (count > 1.0) average_b_ /= (1.0 - mu);
        average_a_ += mu * average_b_ * scale_;
    }

    void scale(double factor) {
        scale_ *= factor;
        squared_norm_ *= factor * factor;
        l1_norm_ *= std::fabs(factor);
        if (scale_ < 1e-9) reset_scale();
    }

    // Write the scale (and the average's lazy terms) into the arrays.
    void reset_scale() {
        if (average_ != nullptr) {
            // fused, as the BLAS axpy scikit-learn calls here is on x86-64
            for (std::int64_t j = 0; j < n_; ++j) average_[j] = std::fma(average_a_, w_[j], average_[j]);
            const double inverse_b = 1.0 / average_b_;
            for (std::int64_t j = 0; j < n_; ++j) average_[j] *= inverse_b;
            average_a_ = 0.0;
            average_b_ = 1.0;
        }
        for (std::int64_t j = 0; j < n_; ++j) w_[j] *= scale_;
        scale_ = 1.0;
    }

    // Tsuruoka et al.'s cumulative L1 penalty on the row's coordinates: each
    // weight is pulled toward zero by the penalty it has not yet received
    // (u - q_j), never across zero.
    template <class Row>
    void apply_cumulative_l1(const Row& row, double* received, double u) {
        for (std::int64_t k = 0; k < row.size(); ++k) {
            const std::int64_t j = row.index(k);
            const double before = w_[j];
            if (scale_ * before > 0.0) {
                const double shrunk = w_[j] - (u + received[j]) / scale_;
                w_[j] = shrunk > 0.0 ? shrunk : 0.0;
            } else if (scale_ * before < 0.0) {
                const double shrunk = w_[j] + (u - received[j]) / scale_;
                w_[j] = shrunk < 0.0 ? shrunk : 0.0;
            }
            received[j] += scale_ * (w_[j] - before);
        }
    }

    // The weights and their running average as reset_scale() would write
    // them, into other buffers, leaving this state untouched (for reports
    // during training; average_out is ignored without averaging).
    void copy_current(double* weights_out, double* average_out) const {
        for (std::int64_t j = 0; j < n_; ++j) weights_out[j] = w_[j] * scale_;
        if (average_ == nullptr) return;
        const double inverse_b = 1.0 / average_b_;
        for (std::int64_t j = 0; j < n_; ++j) average_out[j] = std::fma(average_a_, w_[j], average_[j]) * inverse_b;
    }

    double weight_scale() const { return scale_; }
    double norm() const { return std::sqrt(squared_norm_); }
    double l1_norm() const { return l1_norm_; }
    const double* raw() const { return w_; }

  private:
    double* w_;
    double* average_;
    std::int64_t n_;
    double scale_ = 1.0;
    double average_a_ = 0.0;
    double average_b_ = 1.0;
    double squared_norm_ = 0.0;
    double l1_norm_ = 0.0;
};

template <class Row>
double squared_norm(const Row& row) {
    double sum = 0.0;
    for (std::int64_t k = 0; k < row.size(); ++k) sum += row.value(k) * row.value(k);
    return sum;
}

}  // namespace hogwild
