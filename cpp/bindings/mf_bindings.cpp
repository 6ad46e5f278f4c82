// pybind11 bindings of matrix factorization: the trainer (one epoch a call,
// the GIL released) and prediction. The model's arrays are the caller's
// NumPy arrays, written in place: they are checked, never converted (a
// converted copy would silently take the updates).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "hogwild/mf/factorization_trainer.hpp"

namespace py = pybind11;
using namespace hogwild;
using namespace hogwild::mf;

namespace {

template <class T>
T* checked_array(const py::array& array, const char* name, std::int64_t size, bool writable) {
    if (!py::isinstance<py::array_t<T>>(array) || !(array.flags() & py::array::c_style))
        throw py::type_error(std::string(name) + " must be a C-contiguous " + py::str(py::dtype::of<T>()).cast<std::string>() +
                             " array");
    if (array.size() != size)
        throw py::value_error(std::string(name) + " has " + std::to_string(array.size()) + " elements, expected " +
                              std::to_string(size));
    if (writable && !array.writeable()) throw py::value_error(std::string(name) + " must be writable");
    return static_cast<T*>(const_cast<void*>(array.data()));
}

// The model's arrays, checked against one another, and the references that
// keep them alive while the core holds their pointers.
struct BoundModel {
    FactorModel model;
    std::vector<py::object> keep_alive;

    BoundModel(const py::array& user_factors, const py::array& item_factors, const py::array& user_bias,
               const py::array& item_bias, const py::object& user_gradient_sum, const py::object& item_gradient_sum,
               float global_mean, bool biased, bool writable) {
        if (user_factors.ndim() != 2 || item_factors.ndim() != 2 || user_factors.shape(1) != item_factors.shape(1))
            throw py::value_error("user_factors and item_factors must be 2-D with the same number of columns");
        model.n_users = user_factors.shape(0);
        model.n_items = item_factors.shape(0);
        model.n_factors = static_cast<int>(user_factors.shape(1));
        if (model.n_factors < 1) throw py::value_error("the model needs at least one factor");
        model.user_factors = checked_array<float>(user_factors, "user_factors", model.n_users * model.n_factors, writable);
        model.item_factors = checked_array<float>(item_factors, "item_factors", model.n_items * model.n_factors, writable);
        model.user_bias = checked_array<float>(user_bias, "user_bias", model.n_users, writable);
        model.item_bias = checked_array<float>(item_bias, "item_bias", model.n_items, writable);
        if (!user_gradient_sum.is_none())
            model.user_gradient_sum = checked_array<float>(user_gradient_sum, "user_gradient_sum", model.n_users, true);
        if (!item_gradient_sum.is_none())
            model.item_gradient_sum = checked_array<float>(item_gradient_sum, "item_gradient_sum", model.n_items, true);
        model.global_mean = global_mean;
        model.biased = biased;
        keep_alive = {user_factors, item_factors, user_bias, item_bias, user_gradient_sum, item_gradient_sum};
    }
};

class BoundTrainer {
  public:
    BoundTrainer(const py::array& users, const py::array& items, const py::array& ratings, BoundModel bound,
                 const std::string& solver, int n_threads, std::uint64_t seed)
        : bound_(std::move(bound)) {
        const std::int64_t n = users.size();
        const auto* user_data = checked_array<std::int32_t>(users, "users", n, false);
        const auto* item_data = checked_array<std::int32_t>(items, "items", n, false);
        const auto* rating_data = checked_array<float>(ratings, "ratings", n, false);
        const Schedule schedule = schedule_from_name(solver);
        std::vector<Rating> triples(static_cast<std::size_t>(n));
        py::gil_scoped_release release;
        for (std::int64_t k = 0; k < n; ++k) triples[static_cast<std::size_t>(k)] = {user_data[k], item_data[k], rating_data[k]};
        trainer_ = std::make_unique<FactorizationTrainer>(std::move(triples), bound_.model, schedule, n_threads, seed);
    }

    // One epoch; returns (sum of squared errors, ratings trained). Ctrl-C
    // stops the epoch where it is and raises KeyboardInterrupt (the model
    // whole: every rating trained so far applied).
    py::tuple run_epoch(float eta, float eta_bias, float alpha, float alpha_bias, bool adagrad) {
        EpochStep step{eta, eta_bias, alpha, alpha_bias, adagrad};
        const InterruptPoll interrupted = bindings::python_signal_poll();
        EpochResult result;
        {
            py::gil_scoped_release release;
            result = trainer_->run_epoch(step, interrupted);
        }
        if (result.interrupted && PyErr_Occurred()) throw py::error_already_set();
        return py::make_tuple(result.squared_error, result.ratings);
    }

    int threads() const { return trainer_->threads(); }
    int bands() const { return trainer_->bands(); }

  private:
    BoundModel bound_;
    std::unique_ptr<FactorizationTrainer> trainer_;
};

}  // namespace

namespace hogwild::bindings {

void bind_matrix_factorization(py::module_& m) {
    py::class_<BoundTrainer>(m, "FactorizationTrainer",
                             "Trains a factor model (the caller's float32 arrays, in place) one epoch per call.")
        .def(py::init([](const py::array& users, const py::array& items, const py::array& ratings,
                         const py::array& user_factors, const py::array& item_factors, const py::array& user_bias,
                         const py::array& item_bias, const py::object& user_gradient_sum,
                         const py::object& item_gradient_sum, float global_mean, bool biased,
                         const std::string& solver, int n_threads, std::uint64_t seed) {
                 try {
                     return std::make_unique<BoundTrainer>(
                         users, items, ratings,
                         BoundModel(user_factors, item_factors, user_bias, item_bias, user_gradient_sum,
                                    item_gradient_sum, global_mean, biased, true),
                         solver, n_threads, seed);
                 } catch (const std::out_of_range& error) {
                     throw py::value_error(error.what());
                 } catch (const std::invalid_argument& error) {
                     throw py::value_error(error.what());
                 }
             }),
             py::arg("users"), py::arg("items"), py::arg("ratings"), py::arg("user_factors"), py::arg("item_factors"),
             py::arg("user_bias"), py::arg("item_bias"), py::arg("user_gradient_sum"), py::arg("item_gradient_sum"),
             py::arg("global_mean"), py::arg("biased"), py::arg("solver"), py::arg("n_threads"), py::arg("seed"))
        .def("run_epoch", &BoundTrainer::run_epoch, py::arg("eta"), py::arg("eta_bias"), py::arg("alpha"),
             py::arg("alpha_bias"), py::arg("adagrad"),
             "One epoch; (sum of squared errors before each update, ratings trained).")
        .def_property_readonly("threads", &BoundTrainer::threads, "Threads the schedule runs.")
        .def_property_readonly("bands", &BoundTrainer::bands, "Bands per side of the blocks schedule's grid.");

    m.def(
        "predict_ratings",
        [](const py::array& users, const py::array& items, const py::array& user_factors,
           const py::array& item_factors, const py::array& user_bias, const py::array& item_bias, float global_mean,
           bool biased, int n_threads) {
            const BoundModel bound(user_factors, item_factors, user_bias, item_bias, py::none(), py::none(),
                                   global_mean, biased, false);
            const std::int64_t n = users.size();
            const auto* user_data = checked_array<std::int32_t>(users, "users", n, false);
            const auto* item_data = checked_array<std::int32_t>(items, "items", n, false);
            py::array_t<float> out(n);
            float* out_data = out.mutable_data();
            {
                py::gil_scoped_release release;
                predict_ratings(bound.model, user_data, item_data, n, out_data, n_threads);
            }
            return out;
        },
        py::arg("users"), py::arg("items"), py::arg("user_factors"), py::arg("item_factors"), py::arg("user_bias"),
        py::arg("item_bias"), py::arg("global_mean"), py::arg("biased"), py::arg("n_threads"),
        "Predicted ratings (float32) for int32 user and item indices; -1 is unknown (mean plus known bias).");
}

}  // namespace hogwild::bindings
