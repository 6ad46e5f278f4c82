// The books of the cumulative L1 penalty (math/update_rule.hpp,
// cumulative_l1): u, the L1 penalty every weight should have received so
// far, and q_j, what feature j took. Exact only where one thread writes
// each q_j: the per-row solvers keep it on one thread (several take the
// proximal step instead), the synchronous solvers give each feature one
// owner.
#pragma once

#include <cstdint>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/math/update_rule.hpp"

namespace hogwild {

class CumulativeL1 {
  public:
    // On for plain sgd with an L1 part (`exact_books`: no two writers of a q_j).
    CumulativeL1(const TrainConfig& config, const PenaltyStrength& strength, std::int64_t n_features, bool exact_books)
        : on_(exact_books && config.optimizer == Optimizer::sgd && strength.l1 > 0.0),
          per_unit_eta_(strength.l1),
          received_(on_ ? static_cast<std::size_t>(n_features) : 0, 0.0) {}

    bool on() const { return on_; }
    double total() const { return total_; }
    // u after a step of size eta (or, for callers that keep u themselves, the pull to add)
    double pull_of(double eta) const { return eta * per_unit_eta_; }
    void advance(double eta) { total_ += pull_of(eta); }
    void set_total(double u) { total_ = u; }

    // Feature j's new weight: the loss's step, the L2 prox (`l2_step`:
    // eta alpha (1 - l1_ratio)) weighted `penalty_weight` times, then the
    // L1 penalty owed up to u (default: the running total).
    double step(std::int64_t j, double w, double loss_step, double l2_step, double penalty_weight) {
        return step_at(total_, j, w, loss_step, l2_step, penalty_weight);
    }
    double step_at(double u, std::int64_t j, double w, double loss_step, double l2_step, double penalty_weight) {
        return sgd_coordinate_cumulative(w, loss_step, PenaltyStrength{0.0, l2_step}, penalty_weight, u,
                                         received_[static_cast<std::size_t>(j)]);
    }

  private:
    bool on_;
    double per_unit_eta_;           // alpha l1_ratio
    double total_ = 0.0;            // u
    std::vector<double> received_;  // q
};

}  // namespace hogwild
