// The options dict the Python layer hands the core (python/hogwild/_engine.py,
// core_options) turned into a TrainConfig by one table: a row per option,
// each naming the field it sets. Every option must be there, and any other
// key is refused, so that the two sides cannot drift apart silently.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "hogwild/config.hpp"

namespace py = pybind11;

namespace hogwild::bindings {
namespace {

template <class Enum>
Enum choice(const py::handle& value, const char* key, std::initializer_list<std::pair<const char*, Enum>> choices) {
    const std::string name = py::cast<std::string>(value);
    for (const auto& [candidate, result] : choices)
        if (name == candidate) return result;
    throw py::value_error(std::string("unknown ") + key + ": '" + name + "'");
}

struct Option {
    const char* name;
    void (*set)(TrainConfig&, const py::handle&);
};

// A plain field of one of TrainConfig's groups, cast to the field's type.
#define HOGWILD_FIELD(group, field) \
    Option { #field, [](TrainConfig& c, const py::handle& v) { c.group.field = py::cast<decltype(c.group.field)>(v); } }

const Option kOptions[] = {
    {"loss",
     [](TrainConfig& c, const py::handle& v) {
         c.objective.loss.kind = choice<Loss>(v, "loss",
                                    {{"hinge", Loss::hinge},
                                     {"log_loss", Loss::log_loss},
                                     {"modified_huber", Loss::modified_huber},
                                     {"squared_hinge", Loss::squared_hinge},
                                     {"perceptron", Loss::perceptron},
                                     {"squared_error", Loss::squared_error},
                                     {"huber", Loss::huber},
                                     {"epsilon_insensitive", Loss::epsilon_insensitive},
                                     {"squared_epsilon_insensitive", Loss::squared_epsilon_insensitive}});
     }},
    {"epsilon", [](TrainConfig& c, const py::handle& v) { c.objective.loss.epsilon = py::cast<double>(v); }},
    HOGWILD_FIELD(objective, classifier),
    {"penalty",
     [](TrainConfig& c, const py::handle& v) {
         c.objective.penalty = choice<Penalty>(
             v, "penalty",
             {{"none", Penalty::none}, {"l2", Penalty::l2}, {"l1", Penalty::l1}, {"elasticnet", Penalty::elasticnet}});
     }},
    HOGWILD_FIELD(objective, alpha),
    HOGWILD_FIELD(objective, l1_ratio),
    HOGWILD_FIELD(objective, fit_intercept),
    HOGWILD_FIELD(stopping, max_iter),
    HOGWILD_FIELD(stopping, tol),
    HOGWILD_FIELD(stopping, n_iter_no_change),
    HOGWILD_FIELD(sampling, shuffle),
    HOGWILD_FIELD(sampling, shuffle_block_size),
    HOGWILD_FIELD(sampling, shuffle_buffer_blocks),
    HOGWILD_FIELD(sampling, seed),
    {"learning_rate",
     [](TrainConfig& c, const py::handle& v) {
         c.step.learning_rate = choice<LearningRate>(v, "learning_rate",
                                                {{"constant", LearningRate::constant},
                                                 {"optimal", LearningRate::optimal},
                                                 {"invscaling", LearningRate::invscaling},
                                                 {"adaptive", LearningRate::adaptive},
                                                 {"pa1", LearningRate::pa1},
                                                 {"pa2", LearningRate::pa2},
                                                 {"exponential", LearningRate::exponential},
                                                 {"step", LearningRate::step},
                                                 {"barzilai_borwein", LearningRate::barzilai_borwein}});
     }},
    HOGWILD_FIELD(step, eta0),
    HOGWILD_FIELD(step, power_t),
    HOGWILD_FIELD(step, initial_eta),
    HOGWILD_FIELD(step, decay_on_plateau),
    HOGWILD_FIELD(step, restart_momentum),
    {"plateau",  // {"best_objective": float, "epochs": int, "decay": float}: a previous call's result["plateau"]
     [](TrainConfig& c, const py::handle& v) {
         const auto state = py::reinterpret_borrow<py::dict>(v);
         c.step.plateau.best_objective = state["best_objective"].cast<double>();
         c.step.plateau.epochs = state["epochs"].cast<int>();
         c.step.plateau.decay = state["decay"].cast<double>();
     }},
    HOGWILD_FIELD(stopping, early_stopping),
    HOGWILD_FIELD(step, average),
    HOGWILD_FIELD(step, t_start),
    HOGWILD_FIELD(objective, weight_pos),
    HOGWILD_FIELD(objective, weight_neg),
    HOGWILD_FIELD(objective, intercept_decay),
    HOGWILD_FIELD(parallel, n_threads),
    {"write",
     [](TrainConfig& c, const py::handle& v) {
         c.parallel.write = choice<WritePolicyKind>(
             v, "write",
             {{"racy", WritePolicyKind::racy}, {"atomic", WritePolicyKind::atomic}, {"locked", WritePolicyKind::locked}});
     }},
    HOGWILD_FIELD(parallel, hot_features),
    HOGWILD_FIELD(parallel, sync_every),
    HOGWILD_FIELD(parallel, pin_threads),
    HOGWILD_FIELD(parallel, deterministic),
    {"numa",
     [](TrainConfig& c, const py::handle& v) {
         c.parallel.numa = choice<NumaMode>(
             v, "numa", {{"auto", NumaMode::automatic}, {"off", NumaMode::off}, {"replicate", NumaMode::replicate}});
     }},
    HOGWILD_FIELD(parallel, node_sync_every),
    {"numa_data",
     [](TrainConfig& c, const py::handle& v) {
         c.parallel.numa_data = choice<NumaData>(
             v, "numa_data", {{"off", NumaData::off}, {"shard", NumaData::shard}, {"replicate", NumaData::replicate}});
     }},
    HOGWILD_FIELD(parallel, topology),
    HOGWILD_FIELD(step, gamma),
    HOGWILD_FIELD(step, step_epochs),
    HOGWILD_FIELD(step, epoch_start),
    {"optimizer",
     [](TrainConfig& c, const py::handle& v) {
         c.step.optimizer = choice<Optimizer>(v, "optimizer",
                                         {{"sgd", Optimizer::sgd},
                                          {"momentum", Optimizer::momentum},
                                          {"nesterov", Optimizer::nesterov},
                                          {"adagrad", Optimizer::adagrad},
                                          {"rmsprop", Optimizer::rmsprop},
                                          {"adam", Optimizer::adam}});
     }},
    HOGWILD_FIELD(step, momentum),
    HOGWILD_FIELD(step, beta1),
    HOGWILD_FIELD(step, beta2),
    HOGWILD_FIELD(step, optimizer_eps),
    HOGWILD_FIELD(solver, batch_size),
    HOGWILD_FIELD(solver, elasticity),
    HOGWILD_FIELD(solver, max_staleness),
    HOGWILD_FIELD(solver, staleness_aware),
    {"precision",
     [](TrainConfig& c, const py::handle& v) {
         c.solver.precision = choice<Precision>(
             v, "precision", {{"int8", Precision::int8}, {"int16", Precision::int16}, {"bfloat16", Precision::bfloat16}});
     }},
};
#undef HOGWILD_FIELD

}  // namespace

TrainConfig config_from_dict(const py::dict& options) {
    TrainConfig c;
    for (const Option& option : kOptions) {
        if (!options.contains(option.name))
            throw py::value_error(std::string("the options lack '") + option.name + "'");
        option.set(c, options[option.name]);
    }
    for (const auto& item : options) {
        const std::string key = py::cast<std::string>(item.first);
        bool known = false;
        for (const Option& option : kOptions) known = known || key == option.name;
        if (!known) throw py::value_error("unknown option '" + key + "'");
    }
    if (c.stopping.max_iter < 1 || c.parallel.n_threads < 1 || c.parallel.sync_every == 0 || c.parallel.node_sync_every == 0 ||
        (c.parallel.node_sync_every < 0 && c.parallel.node_sync_every != -1) ||
        c.sampling.shuffle_block_size < 1 || c.sampling.shuffle_buffer_blocks < 1 || c.solver.batch_size < 1 || c.step.step_epochs < 1 ||
        c.solver.max_staleness < 0 || c.step.epoch_start < 0)
        throw py::value_error(
            "max_iter, n_threads, shuffle_block_size, shuffle_buffer_blocks, batch_size and step_epochs must be >= 1, sync_every and node_sync_every >= 1 or "
            "-1 (auto), max_staleness and epoch_start >= 0");
    // (the decay replaces the epoch's rate with its constant: only the "optimal" rate reads it so)
    if (c.step.decay_on_plateau && c.step.learning_rate != LearningRate::optimal)
        throw py::value_error("decay_on_plateau needs learning_rate 'optimal'");
    return c;
}

}  // namespace hogwild::bindings
