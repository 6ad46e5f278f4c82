// The books of the cumulative L1 penalty (math/update_rule.hpp,
// cumulative_l1): u, the L1 penalty every weight should have received so
// far, and q_j, what feature j took.
//
// With several threads each keeps its own view of u (L1Clock): u at the
// epoch's start plus its own pulls times the team size, as if the threads
// took turns (the rule the schedule's t follows); the epoch end adds up the
// threads' pulls exactly. The q_j are shared and only ever added to
// (atomically: a pull taken but lost from the book would be taken again,
// shrinking every weight that two threads update at once); the weight write
// itself races as in Hogwild!, losing a loss step and its pull together. A
// pull never carries a weight across zero, so the weights the penalty
// outweighs end at exactly zero.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hogwild/config.hpp"
#include "hogwild/core/platform.hpp"
#include "hogwild/math/update_rule.hpp"

namespace hogwild {

class CumulativeL1 {
  public:
    // On for plain sgd with an L1 part (`allowed`: the solver keeps the books).
    // `shared_books`: several threads write the books.
    CumulativeL1(const TrainConfig& config, const PenaltyStrength& strength, std::int64_t n_features, bool allowed,
                 bool shared_books = false)
        : on_(allowed && config.step.optimizer == Optimizer::sgd && strength.l1 > 0.0),
          shared_books_(shared_books),
          per_unit_eta_(strength.l1),
          received_(on_ ? static_cast<std::size_t>(n_features) : 0, 0.0) {}

    bool on() const { return on_; }
    double total() const { return total_; }
    // the pull of a step of size eta
    double pull_of(double eta) const { return eta * per_unit_eta_; }
    void advance(double eta) { total_ += pull_of(eta); }
    void set_total(double u) { total_ = u; }

    // Feature j's new weight: the loss's step, the L2 prox (`l2_step`:
    // eta alpha (1 - l1_ratio)) weighted `penalty_weight` times, then the
    // L1 penalty owed up to u.
    // (inlined into the row step's loop, and sgd_coordinate_cumulative into
    // it: the compiler had left it out of line, a call per coordinate; one
    // thread, L1, 3 epochs of 30,000 x 10,000 with 20 nonzeros a row: 112M
    // -> 86M instructions in the step; 5 epochs of 200,000 x 50,000 with
    // 40: 0.78 -> 0.68 s, the same model)
    HOGWILD_ALWAYS_INLINE double step_at(double u, std::int64_t j, double w, double loss_step, double l2_step,
                                         double penalty_weight) {
        double& received = received_[static_cast<std::size_t>(j)];
        if (!shared_books_) {  // (one writer: plain loads and stores)
            double q = received;
            const double next = sgd_coordinate_cumulative(w, loss_step, l2_step, penalty_weight, u, q);
            received = q;
            return next;
        }
        std::atomic_ref<double> book(received);
        const double before = book.load(std::memory_order_relaxed);
        double q = before;
        const double next = sgd_coordinate_cumulative(w, loss_step, l2_step, penalty_weight, u, q);
        if (q != before) book.fetch_add(q - before, std::memory_order_relaxed);
        return next;
    }
    // Feature j's weight `w` with the L1 penalty owed up to u applied (for
    // solvers that apply the penalty where the threads' changes meet).
    double settle(double u, std::int64_t j, double w) { return step_at(u, j, w, 0.0, 0.0, 0.0); }
    // step_at on a weight other threads write too, by compare-and-swap.
    void step_shared(double u, std::int64_t j, double& w, double loss_step, double l2_step, double penalty_weight) {
        std::atomic_ref<double> weight(w);
        std::atomic_ref<double> book(received_[static_cast<std::size_t>(j)]);
        double current = weight.load(std::memory_order_relaxed);
        for (;;) {
            const double before = book.load(std::memory_order_relaxed);
            double q = before;
            const double next =
                sgd_coordinate_cumulative(current, loss_step, l2_step, penalty_weight, u, q);
            if (weight.compare_exchange_weak(current, next, std::memory_order_relaxed)) {
                if (q != before) book.fetch_add(q - before, std::memory_order_relaxed);
                return;
            }
        }
    }
    // The L1 penalty owed up to u, applied to a weight that other threads
    // write too (by compare-and-swap), scaled by `fraction` (0, 1]: where a
    // solver scales the loss's progress down (hogwild's merge weights), the
    // penalty scales with it, and the debt is paid in full in the books.
    void settle_shared(double u, std::int64_t j, double& w, double fraction = 1.0) {
        std::atomic_ref<double> weight(w);
        std::atomic_ref<double> book(received_[static_cast<std::size_t>(j)]);
        double current = weight.load(std::memory_order_relaxed);
        for (;;) {
            const double q = book.load(std::memory_order_relaxed);
            // (as in cumulative_l1: q is negative for pulls down, positive for pulls up)
            const double owed = current > 0.0 ? u + q : current < 0.0 ? u - q : 0.0;
            if (owed <= 0.0) return;
            const double take = fraction * owed;
            const double magnitude = std::abs(current);
            const double next = magnitude <= take ? 0.0 : current - std::copysign(take, current);
            const double paid = magnitude <= take ? magnitude / fraction : owed;
            if (weight.compare_exchange_weak(current, next, std::memory_order_relaxed)) {
                book.fetch_add(current > 0.0 ? -paid : paid, std::memory_order_relaxed);
                return;
            }
        }
    }
    // advance() while other threads advance too; returns u after this step's pull
    double advance_shared(double eta) {
        return std::atomic_ref<double>(total_).fetch_add(pull_of(eta), std::memory_order_relaxed) + pull_of(eta);
    }

  private:
    bool on_;
    bool shared_books_;
    double per_unit_eta_;           // alpha l1_ratio
    double total_ = 0.0;            // u, exact at epoch ends
    std::vector<double> received_;  // q
};

// One thread's view of u during an epoch (see above).
class L1Clock {
  public:
    L1Clock(const CumulativeL1& books, int team_size) : books_(&books), start_(books.total()), team_size_(team_size) {}

    bool on() const { return books_->on(); }
    void advance(double eta) { own_ += books_->pull_of(eta); }
    double u() const { return start_ + own_ * static_cast<double>(team_size_); }
    // this thread's pulls this epoch (the epoch end adds every thread's to u)
    double own() const { return own_; }

  private:
    const CumulativeL1* books_;
    double start_;
    double own_ = 0.0;
    int team_size_;
};

}  // namespace hogwild
