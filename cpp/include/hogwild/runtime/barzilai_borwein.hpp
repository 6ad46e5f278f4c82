// Barzilai-Borwein steps for full-batch gradient descent (the gd solver
// under learning_rate="auto"): eta = s.y / y.y, where s is the change of
// the weights between two points and y the change of the smooth
// objective's gradient (loss and L2 penalty) between them: the "short"
// step of Barzilai & Borwein (IMA J. Numer. Anal. 8, 1988), which measured
// better than the long s.s / s.y here (bench/bench_defaults.py --only gd:
// a9a 7.9e-4 vs 1.1e-3, dna 7.3e-2 vs 9.4e-2 after 200 steps, both one
// step late). The gd solver sums every coordinate's gradient at a point
// before it steps from it, so the pair of the point and the last one sets
// the step taken from the point itself: taken one step late (the gradient
// method with one retard of Friedlander, Martinez, Molina & Raydan, SIAM J.
// Numer. Anal. 36, 1999, as this solver did while it stepped each
// coordinate as soon as its gradient was summed), the steps ended 200
// epochs of dna's hardest one-vs-rest problem 100 times further from its
// optimum. A step is at most max_eta.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace hogwild {

class BarzilaiBorweinStep {
  public:
    static constexpr std::size_t kMemory = 10;  // accepted objectives a new point is compared with

    // Allocates (call outside parallel regions). The last coordinate is the
    // intercept (not penalized).
    void start(std::size_t n_coordinates, double first_eta, double max_eta) {
        point_.assign(n_coordinates, 0.0);
        gradient_.assign(n_coordinates, 0.0);
        last_point_.assign(n_coordinates, 0.0);
        last_gradient_.assign(n_coordinates, 0.0);
        recent_.clear();
        recent_.reserve(kMemory);  // (finish_step runs in the parallel region: no allocation there)
        has_last_ = false;
        eta_ = first_eta;
        eta_from_last_ = first_eta;
        max_eta_ = max_eta;
    }

    double eta() const { return eta_; }

    // Start again from the caller's model (a new or reloaded session): no
    // pair and no objectives yet, the step kept. Coordinates no row touches
    // are never recorded: they keep these values.
    void restart_from(const double* weights, std::size_t n_weights, double intercept) {
        std::copy(weights, weights + n_weights, point_.begin());
        point_.back() = intercept;
        last_point_ = point_;
        best_point_ = point_;
        best_objective_ = std::numeric_limits<double>::infinity();
        recent_.clear();
        has_last_ = false;
    }

    // Whether a point of this objective passes the nonmonotone rule.
    bool acceptable(double objective) const {
        if (recent_.empty()) return true;  // (a run's first point: where the caller's model is)
        return objective <= *std::max_element(recent_.begin(), recent_.end());  // (false for NaN)
    }

    // The objective of a point from its mean loss and the L2 strength.
    double objective(const std::vector<double>& point, double mean_loss, double l2) const {
        double squared_norm = 0.0;
        for (std::size_t j = 0; j + 1 < point.size(); ++j) squared_norm += point[j] * point[j];
        return mean_loss + 0.5 * l2 * squared_norm;
    }

    // Coordinate j's weight and smooth gradient where this step was taken
    // (each coordinate is recorded by one thread).
    void record(std::size_t j, double weight, double gradient) {
        point_[j] = weight;
        gradient_[j] = gradient;
    }

    // After the step, on one thread, given the mean loss at this step's
    // point and the L2 strength. The point's objective is checked against
    // the largest of the last kMemory accepted ones (the nonmonotone rule
    // of Grippo, Lampariello & Lucidi that Raydan, SIAM J. Optim. 7, 1997,
    // pairs with Barzilai-Borwein steps): above it (or not finite), the
    // point is rejected: true is returned, and the solver steps again from
    // last_point() (with last_gradient(): no pass is spent on it) by the
    // step that led from it, halved. Otherwise the step from this point
    // (eta()) is s.y / y.y of this point and the last (kept where the pair
    // shows no positive curvature), summed in coordinate order: the same
    // for any thread count.
    bool finish_step(double mean_loss, double l2) {
        const double value = objective(point_, mean_loss, l2);
        if (!acceptable(value)) {
            eta_ = eta_from_last_ = 0.5 * eta_from_last_;
            return true;
        }
        if (recent_.size() == kMemory) recent_.erase(recent_.begin());
        recent_.push_back(value);
        if (value < best_objective_) {
            best_objective_ = value;
            best_point_ = point_;
        }
        if (has_last_) {
            double ss = 0.0, sy = 0.0, yy = 0.0;
            for (std::size_t j = 0; j < point_.size(); ++j) {
                const double s = point_[j] - last_point_[j];
                const double y = gradient_[j] - last_gradient_[j];
                ss += s * s;
                sy += s * y;
                yy += y * y;
            }
            if (ss > 0.0 && sy > 0.0) eta_ = std::min(sy / yy, max_eta_);
        }
        eta_from_last_ = eta_;  // (the step now taken from this point, which becomes the last)
        point_.swap(last_point_);
        gradient_.swap(last_gradient_);
        has_last_ = true;
        return false;
    }

    // The accepted point a rejection goes back to (the intercept last), and
    // the smooth gradient there.
    const std::vector<double>& last_point() const { return last_point_; }
    const std::vector<double>& last_gradient() const { return last_gradient_; }

    // The accepted point of the lowest objective so far (the nonmonotone
    // rule lets worse points through: a run hands back the best).
    const std::vector<double>& best_point() const { return best_point_; }
    double best_objective() const { return best_objective_; }

  private:
    std::vector<double> point_, gradient_, last_point_, last_gradient_;
    std::vector<double> recent_;  // objectives of the last accepted points
    std::vector<double> best_point_;
    double best_objective_ = std::numeric_limits<double>::infinity();
    bool has_last_ = false;
    double eta_ = 0.0;
    double eta_from_last_ = 0.0;  // the step taken from last_point()
    double max_eta_ = 0.0;
};

}  // namespace hogwild
