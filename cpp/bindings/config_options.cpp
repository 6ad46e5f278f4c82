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

// A plain field of TrainConfig, cast to the field's type.
#define HOGWILD_FIELD(field) \
    Option { #field, [](TrainConfig& c, const py::handle& v) { c.field = py::cast<decltype(c.field)>(v); } }

const Option kOptions[] = {
    {"loss",
     [](TrainConfig& c, const py::handle& v) {
         c.loss.kind = choice<Loss>(v, "loss",
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
    {"epsilon", [](TrainConfig& c, const py::handle& v) { c.loss.epsilon = py::cast<double>(v); }},
    HOGWILD_FIELD(classifier),
    {"penalty",
     [](TrainConfig& c, const py::handle& v) {
         c.penalty = choice<Penalty>(
             v, "penalty",
             {{"none", Penalty::none}, {"l2", Penalty::l2}, {"l1", Penalty::l1}, {"elasticnet", Penalty::elasticnet}});
     }},
    HOGWILD_FIELD(alpha),
    HOGWILD_FIELD(l1_ratio),
    HOGWILD_FIELD(fit_intercept),
    HOGWILD_FIELD(max_iter),
    HOGWILD_FIELD(tol),
    HOGWILD_FIELD(n_iter_no_change),
    HOGWILD_FIELD(shuffle),
    HOGWILD_FIELD(shuffle_block_size),
    HOGWILD_FIELD(seed),
    {"learning_rate",
     [](TrainConfig& c, const py::handle& v) {
         c.learning_rate = choice<LearningRate>(v, "learning_rate",
                                                {{"constant", LearningRate::constant},
                                                 {"optimal", LearningRate::optimal},
                                                 {"invscaling", LearningRate::invscaling},
                                                 {"adaptive", LearningRate::adaptive},
                                                 {"pa1", LearningRate::pa1},
                                                 {"pa2", LearningRate::pa2},
                                                 {"exponential", LearningRate::exponential},
                                                 {"step", LearningRate::step}});
     }},
    HOGWILD_FIELD(eta0),
    HOGWILD_FIELD(power_t),
    HOGWILD_FIELD(early_stopping),
    HOGWILD_FIELD(average),
    HOGWILD_FIELD(t_start),
    HOGWILD_FIELD(weight_pos),
    HOGWILD_FIELD(weight_neg),
    HOGWILD_FIELD(intercept_decay),
    HOGWILD_FIELD(n_threads),
    {"write",
     [](TrainConfig& c, const py::handle& v) {
         c.write = choice<WritePolicyKind>(
             v, "write",
             {{"racy", WritePolicyKind::racy}, {"atomic", WritePolicyKind::atomic}, {"locked", WritePolicyKind::locked}});
     }},
    HOGWILD_FIELD(hot_features),
    HOGWILD_FIELD(sync_every),
    HOGWILD_FIELD(pin_threads),
    HOGWILD_FIELD(gamma),
    HOGWILD_FIELD(step_epochs),
    HOGWILD_FIELD(epoch_start),
    {"optimizer",
     [](TrainConfig& c, const py::handle& v) {
         c.optimizer = choice<Optimizer>(v, "optimizer",
                                         {{"sgd", Optimizer::sgd},
                                          {"momentum", Optimizer::momentum},
                                          {"nesterov", Optimizer::nesterov},
                                          {"adagrad", Optimizer::adagrad},
                                          {"rmsprop", Optimizer::rmsprop},
                                          {"adam", Optimizer::adam}});
     }},
    HOGWILD_FIELD(momentum),
    HOGWILD_FIELD(beta1),
    HOGWILD_FIELD(beta2),
    HOGWILD_FIELD(optimizer_eps),
    HOGWILD_FIELD(batch_size),
    HOGWILD_FIELD(elasticity),
    HOGWILD_FIELD(max_staleness),
    HOGWILD_FIELD(staleness_aware),
    {"precision",
     [](TrainConfig& c, const py::handle& v) {
         c.precision = choice<Precision>(
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
    if (c.max_iter < 1 || c.n_threads < 1 || c.sync_every == 0 || c.shuffle_block_size < 1 || c.batch_size < 1 ||
        c.step_epochs < 1 || c.max_staleness < 0 || c.epoch_start < 0)
        throw py::value_error(
            "max_iter, n_threads, shuffle_block_size, batch_size and step_epochs must be >= 1, sync_every >= 1 or "
            "-1 (auto), max_staleness and epoch_start >= 0");
    return c;
}

}  // namespace hogwild::bindings
