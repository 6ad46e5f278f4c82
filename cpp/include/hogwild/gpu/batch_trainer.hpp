// The GPU trainer of the synchronous solvers (minibatch, gd), as the host
// sees it: plain C++ declarations, no CUDA header, so that the solver glue
// (gpu/device_solver.hpp) and the bindings compile without nvcc.
//
// A BatchTrainer holds a copy of the training data and the model (weights,
// intercept, optimizer state, averages, the cumulative L1 books) in its
// backend's memory: the GPU's (cpp/cuda/), or the host's for the CPU
// emulation that tests the same kernel bodies without a GPU
// (gpu/host_backend.hpp). The host drives it one epoch at a time: the epoch's
// row order, then one step per batch with the step's constants, computed on
// the host exactly as the CPU solver computes them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "hogwild/config.hpp"
#include "hogwild/math/optimizer_rule.hpp"
#include "hogwild/math/update_rule.hpp"
#include "hogwild/runtime/optimizer.hpp"

namespace hogwild::gpu {

// How a batch's gradient is summed over its rows.
enum class Reduction {
    ordered,  // each feature's terms in row order (a transposed copy of the epoch's rows): deterministic
    atomic,   // atomic additions as the rows are read: faster, the order (and the last bits) vary between runs
};

inline Reduction reduction_from_name(const std::string& name) {
    if (name == "ordered") return Reduction::ordered;
    if (name == "atomic") return Reduction::atomic;
    throw std::invalid_argument("reduction must be 'ordered' or 'atomic', got '" + name + "'");
}

// A warp (32 lanes) per row where rows average 16 nonzeros or more, else
// one thread: the row passes' lanes on a GPU.
constexpr int kWarpSize = 32;
inline int warp_lanes_for(std::int64_t nnz, std::int64_t n_rows) {
    return nnz >= 16 * (n_rows > 0 ? n_rows : 1) ? kWarpSize : 1;
}

// The caller's training data, type-erased (the views of core/views.hpp).
struct MatrixRef {
    bool sparse = true;
    bool double_values = false;  // float64 values, else float32
    bool int64_indices = false;  // CSR int64 indices and indptr, else int32
    const void* values = nullptr;   // CSR data, or the dense C-contiguous array
    const void* indices = nullptr;  // CSR only
    const void* indptr = nullptr;   // CSR only: n_rows + 1 entries
    std::int64_t n_rows = 0;
    std::int64_t n_cols = 0;
    std::int64_t nnz = 0;  // stored values (n_rows * n_cols when dense)
};

// What stays fixed over a training session.
struct TrainerSettings {
    LossFunction loss;
    double weight_pos = 1.0;  // class weights of y > 0 and y <= 0
    double weight_neg = 1.0;
    bool fit_intercept = true;
    double intercept_decay = 1.0;
    OptimizerRule rule;
    PenaltyStrength strength;     // alpha l1_ratio, alpha (1 - l1_ratio)
    bool cumulative_l1 = false;   // plain sgd with an L1 part (math/update_rule.hpp)
    bool averaging = false;
    Reduction reduction = Reduction::ordered;
    std::int64_t max_batch_rows = 1;
    int device = 0;  // the backend's device index
};

// One optimizer step, its constants computed on the host.
struct BatchStep {
    std::int64_t first = 0;  // the batch's first position in the epoch's row order
    std::int64_t n_rows = 0;
    OptimizerStep optimizer;  // eta and Adam's bias corrections
    double l2_step = 0.0;     // eta alpha (1 - l1_ratio)
    double l1_total = 0.0;    // the cumulative L1 penalty's u after this step
    double average_clock_before = 0.0;  // the averaging clocks around the step
    double average_clock_after = 0.0;
};

class BatchTrainer {
  public:
    virtual ~BatchTrainer() = default;

    // Host memory for the epoch's training rows in visiting order (n_train
    // row numbers of X; page-locked on a GPU, so that their copy is fast):
    // the caller fills it, then calls start_epoch.
    virtual std::int64_t* epoch_rows() = 0;
    // Gathers the epoch's rows on the device, so that every batch is a contiguous range.
    virtual void start_epoch() = 0;
    // Queues one step over positions [step.first, step.first + step.n_rows).
    virtual void step(const BatchStep& step) = 0;
    // Waits for the queued steps; the epoch's summed loss (each row's before its step).
    virtual double finish_epoch() = 0;

    virtual void download_model(double* weights, double* intercept) = 0;
    virtual void upload_model(const double* weights, double intercept) = 0;
    // Averaged iterates (settings.averaging): continue the caller's average,
    // which stands for the iterates up to averaging clock `clock`.
    virtual void start_averages(const double* average_weights, double average_intercept, double clock) = 0;
    // The averages up to `clock`, written to the caller's buffers.
    virtual void publish_averages(double clock, double* average_weights, double* average_intercept) = 0;

    virtual OptimizerMoments moments() = 0;
    virtual void set_moments(const OptimizerMoments& moments) = 0;
};

// Makes a trainer over the caller's data (copied into the backend's memory).
using TrainerFactory =
    std::function<std::unique_ptr<BatchTrainer>(const MatrixRef&, const Targets&, const TrainerSettings&)>;

// The CPU emulation of the GPU trainer: the same kernel bodies run by host
// loops (gpu/host_backend.hpp), for tests without a GPU.
std::unique_ptr<BatchTrainer> make_host_emulated_trainer(const MatrixRef& X, const Targets& targets,
                                                         const TrainerSettings& settings);
// The same with the GPU's lanes: a warp's 32 lanes per long row and per hot
// feature, their partial sums added in the warp's tree order, the batch's
// sums in the block's order (the CPU's model up to the summation order).
std::unique_ptr<BatchTrainer> make_host_emulated_warp_trainer(const MatrixRef& X, const Targets& targets,
                                                              const TrainerSettings& settings);

}  // namespace hogwild::gpu
