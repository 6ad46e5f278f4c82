// The nine losses of scikit-learn's SGD, as functions of the prediction p and
// the target y (y in {-1, +1} for classification). Formulas and the
// overflow guards follow scikit-learn's _sgd_fast so that results agree.
#pragma once

#include <cmath>

#include "hogwild/core/platform.hpp"

namespace hogwild {

enum class Loss : int {
    hinge = 0,
    log_loss,
    modified_huber,
    squared_hinge,
    perceptron,
    squared_error,
    huber,
    epsilon_insensitive,
    squared_epsilon_insensitive,
};

// A row's loss as linear + log(log_argument): the log loss leaves its
// logarithm to the caller, which may sum many rows' losses with one log of
// their arguments' product (LossSum); every other loss has log_argument 1.
// (Two doubles: the row step returns one in registers, where a third field
// sent it through memory and made an epoch 30% slower.)
struct RowLoss {
    double linear;
    double log_argument;

    HOGWILD_HD double value() const { return log_argument == 1.0 ? linear : linear + std::log(log_argument); }
};

// A loss and its derivative at one point (LossFunction::value_and_derivative).
struct LossAndDerivative {
    RowLoss loss;
    double derivative;
};

// The sum of rows' losses (RowLoss): the linear parts summed, the
// log arguments (each in [1, 2] for the log loss) multiplied and their
// product's log taken every kFoldEvery rows and at the end: one log per 256
// rows instead of one a row (measured: the log was 7-9% of a one-thread
// epoch of 40-nonzero rows). The log of a product of n factors carries the
// rounding of n products, as the sum of n logs carries n logs' rounding.
class LossSum {
  public:
    void add(RowLoss row) {
        linear_ += row.linear;
        product_ *= row.log_argument;
        if (++pending_ == kFoldEvery) fold();
    }
    double total() {
        fold();
        return linear_;
    }

  private:
    void fold() {
        linear_ += std::log(product_);
        product_ = 1.0;
        pending_ = 0;
    }
    static constexpr int kFoldEvery = 256;  // (2^256: far from overflow)
    double linear_ = 0.0;
    double product_ = 1.0;
    int pending_ = 0;
};

struct LossFunction {
    Loss kind = Loss::hinge;
    double epsilon = 0.1;  // huber / epsilon-insensitive width

    HOGWILD_HD bool is_classification() const {
        return kind == Loss::hinge || kind == Loss::log_loss || kind == Loss::modified_huber ||
               kind == Loss::squared_hinge || kind == Loss::perceptron;
    }

    HOGWILD_HD double value(double p, double y) const {
        switch (kind) {
            case Loss::hinge: return hinge_value(p, y, 1.0);
            case Loss::perceptron: return hinge_value(p, y, 0.0);
            case Loss::squared_hinge: {
                const double z = 1.0 - p * y;
                return z > 0.0 ? z * z : 0.0;
            }
            case Loss::log_loss: {
                // scikit-learn's half binomial loss on labels 0/1
                const double y01 = y > 0.0 ? 1.0 : 0.0;
                return log1pexp(p) - y01 * p;
            }
            case Loss::modified_huber: {
                const double z = p * y;
                if (z >= 1.0) return 0.0;
                if (z >= -1.0) return (1.0 - z) * (1.0 - z);
                return -4.0 * z;
            }
            case Loss::squared_error: return 0.5 * (p - y) * (p - y);
            case Loss::huber: {
                const double r = p - y;
                const double abs_r = std::fabs(r);
                if (abs_r <= epsilon) return 0.5 * r * r;
                return epsilon * abs_r - 0.5 * epsilon * epsilon;
            }
            case Loss::epsilon_insensitive: {
                const double r = std::fabs(y - p) - epsilon;
                return r > 0.0 ? r : 0.0;
            }
            case Loss::squared_epsilon_insensitive: {
                const double r = std::fabs(y - p) - epsilon;
                return r > 0.0 ? r * r : 0.0;
            }
        }
        return 0.0;
    }

    // d loss / d p
    HOGWILD_HD double derivative(double p, double y) const {
        switch (kind) {
            case Loss::hinge: return hinge_derivative(p, y, 1.0);
            case Loss::perceptron: return hinge_derivative(p, y, 0.0);
            case Loss::squared_hinge: {
                const double z = 1.0 - p * y;
                return z > 0.0 ? -2.0 * y * z : 0.0;
            }
            case Loss::log_loss: {
                // expit(p) - y01, arranged as scikit-learn does for precision
                const double y01 = y > 0.0 ? 1.0 : 0.0;
                if (p > -37.0) {
                    const double e = std::exp(-p);
                    return ((1.0 - y01) - y01 * e) / (1.0 + e);
                }
                return std::exp(p) - y01;
            }
            case Loss::modified_huber: {
                const double z = p * y;
                if (z >= 1.0) return 0.0;
                if (z >= -1.0) return 2.0 * (1.0 - z) * -y;
                return -4.0 * y;
            }
            case Loss::squared_error: return p - y;
            case Loss::huber: {
                const double r = p - y;
                if (std::fabs(r) <= epsilon) return r;
                return r > 0.0 ? epsilon : -epsilon;
            }
            case Loss::epsilon_insensitive: {
                if (y - p > epsilon) return -1.0;
                if (p - y > epsilon) return 1.0;
                return 0.0;
            }
            case Loss::squared_epsilon_insensitive: {
                const double z = y - p;
                if (z > epsilon) return -2.0 * (z - epsilon);
                if (z < -epsilon) return 2.0 * (-z - epsilon);
                return 0.0;
            }
        }
        return 0.0;
    }

    // value(p, y) and derivative(p, y) together. The log loss shares its
    // exponential: derivative's e = exp(-p) gives log(1 + exp(p)) as
    // p + log(1 + e) for p > 0 and log(1 + 1 / e) below (one exp a row, not
    // two), and leaves the log to the caller (see RowLoss). The
    // derivative is derivative(p, y)'s bit for bit, the value within a few
    // ulps of max(1, value(p, y)) (the sequential solver, scikit-learn's
    // algorithm, calls the two).
    HOGWILD_HD LossAndDerivative value_and_derivative(double p, double y) const {
        if (kind == Loss::log_loss && p > -37.0) {
            const double y01 = y > 0.0 ? 1.0 : 0.0;
            const double e = std::exp(-p);
            const double derivative = ((1.0 - y01) - y01 * e) / (1.0 + e);
            if (p > 0.0) return {{p - y01 * p, 1.0 + e}, derivative};
            return {{-y01 * p, 1.0 + 1.0 / e}, derivative};
        }
        return {{value(p, y), 1.0}, derivative(p, y)};
    }

  private:
    // log(1 + exp(x)) without overflow or loss of precision
    HOGWILD_HD static double log1pexp(double x) {
        if (x <= -37.0) return std::exp(x);
        if (x <= -2.0) return std::log1p(std::exp(x));
        if (x <= 18.0) return std::log(1.0 + std::exp(x));
        if (x <= 33.3) return x + std::exp(-x);
        return x;
    }
    HOGWILD_HD static double hinge_value(double p, double y, double threshold) {
        const double z = p * y;
        return z <= threshold ? threshold - z : 0.0;
    }
    HOGWILD_HD static double hinge_derivative(double p, double y, double threshold) {
        return p * y <= threshold ? -y : 0.0;
    }
};

// Gradients larger than this are clipped, as scikit-learn does, so that a
// single wild example cannot blow the weights up.
inline constexpr double kMaxAbsLossDerivative = 1e12;

HOGWILD_HD inline double clipped(double derivative) {
    if (derivative < -kMaxAbsLossDerivative) return -kMaxAbsLossDerivative;
    if (derivative > kMaxAbsLossDerivative) return kMaxAbsLossDerivative;
    return derivative;
}

}  // namespace hogwild
