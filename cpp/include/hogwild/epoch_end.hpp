// What every parallel solver does once an epoch's model is published to the
// caller's buffers: record the epoch, detect divergence, score the
// validation rows, call the epoch callback and apply the stopping rule.
#pragma once

#include <cmath>
#include <cstdint>

#include "hogwild/config.hpp"
#include "hogwild/penalty.hpp"
#include "hogwild/stopping_rule.hpp"

namespace hogwild {

// `loss_sum` / `updates`: the epoch's summed loss (each taken before its
// step) and number of examples; `t`: scikit-learn's t_ after the epoch.
// `record` may carry solver-specific figures (e.g. staleness). Returns true
// when training stops after this epoch.
template <class View>
bool finish_published_epoch(TrainResult& result, StoppingRule& stopping, const TrainHooks& hooks, const View& X,
                            const Targets& targets, const TrainConfig& config, const ModelState& model,
                            double loss_sum, double updates, double t, int epoch, double seconds,
                            EpochRecord record = {}) {
    const std::int64_t n_features = model.n_features;
    result.n_iter = epoch + 1;
    record.updates = static_cast<std::int64_t>(updates);
    record.seconds = seconds;
    record.examples_per_second = seconds > 0.0 ? updates / seconds : 0.0;
    record.objective = (updates > 0 ? loss_sum / updates : 0.0) + penalty_value(config, model.weights, n_features);
    if (!std::isfinite(*model.intercept) || !all_finite(model.weights, n_features)) {
        result.diverged = true;
        result.history.push_back(record);
        return true;
    }
    if (config.early_stopping)
        record.validation_score = validation_score(X, targets, config.classifier, model.weights, 1.0, *model.intercept);
    result.history.push_back(record);
    if (hooks.after_epoch) {
        const bool averaging = config.average > 0;
        const EpochSnapshot snapshot{epoch + 1,
                                     &result.history.back(),
                                     t,
                                     n_features,
                                     model.weights,
                                     *model.intercept,
                                     averaging ? model.average_weights : nullptr,
                                     averaging ? *model.average_intercept : 0.0};
        if (!hooks.after_epoch(snapshot)) {
            result.stopped_by_callback = true;
            return true;
        }
    }
    return stopping.after_epoch(record.objective, record.validation_score);
}

}  // namespace hogwild
