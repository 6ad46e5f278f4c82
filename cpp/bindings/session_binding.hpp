// The training session as Python sees it, shared by the _core module (CPU
// solvers) and the _cuda module (GPU solvers): NumPy buffers as views without
// copies, the configuration parsed, training with the GIL released and Ctrl-C
// turned into KeyboardInterrupt. Each module binds Session with its own
// session maker (module-local classes: two modules bind this one C++ type).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "hogwild/config.hpp"
#include "hogwild/core/views.hpp"
#include "hogwild/runtime/training_session.hpp"

namespace hogwild::bindings {

namespace py = pybind11;

// NumPy may describe one type with several dtype objects (memmaps,
// unpickled arrays): compare type numbers and require native byte order.
template <class T>
bool has_dtype(const py::array& array) {
    const py::dtype dtype = array.dtype();
    const char order = dtype.byteorder();
    const char native_order = std::endian::native == std::endian::little ? '<' : '>';
    const bool native = order == '=' || order == '|' || order == native_order;
    return dtype.num() == py::dtype::of<T>().num() && native;
}

// A C-contiguous array of exactly type T and the given length; never a copy.
template <class T>
T* checked_buffer(const py::handle& object, const char* name, std::int64_t length, bool writable) {
    if (!py::isinstance<py::array>(object)) throw py::type_error(std::string(name) + " must be a NumPy array");
    auto array = py::reinterpret_borrow<py::array>(object);
    if (!has_dtype<T>(array))
        throw py::type_error(std::string(name) + " has dtype " + py::str(array.dtype()).cast<std::string>() +
                             ", expected " + py::str(py::dtype::of<T>()).cast<std::string>());
    if (!(array.flags() & py::array::c_style)) throw py::value_error(std::string(name) + " must be C-contiguous");
    if (length >= 0 && array.size() != length)
        throw py::value_error(std::string(name) + " has " + std::to_string(array.size()) + " elements, expected " +
                              std::to_string(length));
    if (writable && !array.writeable()) throw py::value_error(std::string(name) + " must be writable");
    return static_cast<T*>(const_cast<void*>(array.data()));
}

py::dict result_to_dict(const TrainResult& result) {
    const auto n = static_cast<py::ssize_t>(result.history.size());
    py::array_t<double> objective(n), seconds(n), examples_per_second(n), validation_score(n);
    py::array_t<std::int64_t> updates(n);
    for (py::ssize_t e = 0; e < n; ++e) {
        const auto& r = result.history[static_cast<std::size_t>(e)];
        objective.mutable_at(e) = r.objective;
        seconds.mutable_at(e) = r.seconds;
        updates.mutable_at(e) = r.updates;
        examples_per_second.mutable_at(e) = r.examples_per_second;
        validation_score.mutable_at(e) = r.validation_score;
    }
    py::dict history;
    history["objective"] = objective;
    history["seconds"] = seconds;
    history["updates"] = updates;
    history["examples_per_second"] = examples_per_second;
    history["validation_score"] = validation_score;
    if (n > 0 && !result.history.front().staleness_counts.empty()) {
        py::list staleness;
        py::array_t<std::int64_t> dropped(n);
        for (py::ssize_t e = 0; e < n; ++e) {
            const auto& counts = result.history[static_cast<std::size_t>(e)].staleness_counts;
            staleness.append(py::array_t<std::int64_t>(static_cast<py::ssize_t>(counts.size()), counts.data()));
            dropped.mutable_at(e) = result.history[static_cast<std::size_t>(e)].stale_dropped;
        }
        history["staleness"] = staleness;
        history["stale_dropped"] = dropped;
    }
    py::dict out;
    out["n_iter"] = result.n_iter;
    out["t"] = result.t;
    out["interrupted"] = result.interrupted;
    out["stopped_by_callback"] = result.stopped_by_callback;
    out["converged"] = result.converged;
    out["diverged"] = result.diverged;
    out["threads_used"] = result.threads_used;
    out["hot_features_used"] = result.hot_features_used;
    // where the threads ran, under the names of the estimators' fit_info_
    out["placement"] = py::dict(py::arg("cpus") = result.thread_cpus, py::arg("nodes") = result.thread_nodes,
                                py::arg("node_replicas") = result.node_replicas, py::arg("topology") = result.topology,
                                py::arg("data") = result.data_placement);
    out["history"] = history;
    out["plateau"] = py::dict(py::arg("best_objective") = result.plateau.best_objective,
                              py::arg("epochs") = result.plateau.epochs, py::arg("decay") = result.plateau.decay);
    return out;
}

// A writable NumPy view of memory the solver owns, valid during a callback.
py::array_t<double> writable_view(double* values, std::int64_t size) {
    py::capsule no_owner(values, [](void*) {});
    return py::array_t<double>({static_cast<py::ssize_t>(size)}, values, no_owner);
}

// Hands a training session's all-reduces to a Python callable that sums a
// float64 array in place over the processes (hogwild.distributed's
// mpi4py all-reduce). Its exception ends the run and propagates.
SumAcrossProcesses python_sum_across_processes(const py::object& sum) {
    if (sum.is_none()) return {};
    const py::handle function = sum;  // the caller keeps it alive
    return [function](double* values, std::int64_t count) {
        py::gil_scoped_acquire gil;
        // A Ctrl-C seen by the interrupt poll leaves its KeyboardInterrupt
        // pending while the step still sums (to tell the other processes to
        // stop): set aside during the call, restored after it.
        py::error_scope pending;
        function(writable_view(values, count));
    };
}

// A read-only NumPy view of memory the solver owns, valid during a callback.
py::array_t<double> borrowed_view(const double* values, std::int64_t size) {
    py::capsule no_owner(values, [](void*) {});
    py::array_t<double> view({static_cast<py::ssize_t>(size)}, values, no_owner);
    view.attr("setflags")(py::arg("write") = false);
    return view;
}

// Hands each epoch to a Python callable (taking the GIL briefly). An
// exception in the callable stops training and is re-raised afterwards.
// A KeyboardInterrupt raised in the callback (Ctrl-C, whose handler runs at
// the callback's first line when the signal came during the epoch) sets
// `signalled` instead: training stops as on a signal, with the epochs that
// finished, this one included, recorded.
EpochCallback python_epoch_callback(const py::object& callback, bool& raised, bool& signalled) {
    if (callback.is_none()) return {};
    const py::handle function = callback;  // the caller keeps it alive
    return [function, &raised, &signalled](const EpochSnapshot& snapshot) {
        py::gil_scoped_acquire gil;
        try {
            py::dict record;
            record["epoch"] = snapshot.epoch;
            record["objective"] = snapshot.record->objective;
            record["seconds"] = snapshot.record->seconds;
            record["updates"] = snapshot.record->updates;
            record["examples_per_second"] = snapshot.record->examples_per_second;
            record["validation_score"] = snapshot.record->validation_score;
            record["t"] = snapshot.t;
            record["coef"] = borrowed_view(snapshot.weights, snapshot.n_features);
            record["intercept"] = snapshot.intercept;
            if (snapshot.average_weights != nullptr) {
                record["average_coef"] = borrowed_view(snapshot.average_weights, snapshot.n_features);
                record["average_intercept"] = snapshot.average_intercept;
            }
            const py::object answer = function(record);
            return !(py::isinstance<py::bool_>(answer) && !answer.cast<bool>());  // only False stops
        } catch (py::error_already_set& error) {
            (error.matches(PyExc_KeyboardInterrupt) ? signalled : raised) = true;
            error.restore();
            return false;
        }
    };
}

// Runs `train` with the GIL released. Every ~100 ms the calling thread
// briefly takes the GIL to let Python run its signal handlers. A signal
// whose handler raised (Ctrl-C: KeyboardInterrupt) stops training after
// the current chunk of work; its exception is handed back in `interrupt`
// (cleared from Python's error indicator), so that the caller can first
// record the epochs that finished and then raise it. So is an exception
// of a callback (it propagated at once, and left the estimator half
// fitted: a 1-D coef_, no n_iter_, an empty history_).
template <class Train>
TrainResult run_interruptibly(Train&& train, const py::object& epoch_callback, py::object& interrupt,
                              const py::object& progress_callback = py::none(),
                              const py::object& sum_across_processes = py::none(),
                              const std::atomic<bool>* stop_requested = nullptr) {
    using Clock = std::chrono::steady_clock;
    auto last_check = Clock::now();
    auto last_progress = Clock::now();
    bool signalled = false;
    bool callback_raised = false;
    TrainHooks hooks;
    hooks.interrupted = [&]() {
        if (callback_raised || signalled) return true;  // (a callback raised: stop; its error stays set)
        const auto now = Clock::now();
        if (now - last_check < std::chrono::milliseconds(100)) return false;
        last_check = now;
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) signalled = true;
        return signalled;
    };
    hooks.after_epoch = python_epoch_callback(epoch_callback, callback_raised, signalled);
    hooks.sum_across_processes = python_sum_across_processes(sum_across_processes);
    hooks.stop_requested = stop_requested;
    if (!progress_callback.is_none()) {
        // progress_callback(fraction of the epoch's rows done), at most every ~200 ms
        const py::handle function = progress_callback;
        hooks.within_epoch = [&, function](double fraction) {
            const auto now = Clock::now();
            if (callback_raised || now - last_progress < std::chrono::milliseconds(200)) return;
            last_progress = now;
            py::gil_scoped_acquire gil;
            try {
                function(fraction);
            } catch (py::error_already_set& error) {
                error.restore();
                callback_raised = true;
            }
        };
    }
    TrainResult result;
    {
        py::gil_scoped_release release;
        result = train(hooks);
    }
    if (callback_raised || signalled) {
        py::error_already_set raised;  // (takes the exception out of Python's error indicator)
        interrupt = raised.value();
        // (the frames of the callback that raised, for the traceback the caller's raise shows)
        if (raised.trace()) PyException_SetTraceback(interrupt.ptr(), raised.trace().ptr());
    }
    return result;
}

// X as the core's `train` takes it (python/hogwild/_validation.py's
// core_view): a 2-D array, or (data, indices, indptr, n_rows, n_cols) for CSR.
inline std::pair<std::int64_t, std::int64_t> view_shape(const py::object& X) {
    std::int64_t n_rows = 0, n_cols = 0;
    if (py::isinstance<py::tuple>(X)) {
        auto parts = X.cast<py::tuple>();
        if (parts.size() != 5) throw py::value_error("X must be (data, indices, indptr, n_rows, n_cols)");
        n_rows = parts[3].cast<std::int64_t>();
        n_cols = parts[4].cast<std::int64_t>();
    } else {
        auto array = X.cast<py::array>();
        if (array.ndim() != 2) throw py::value_error("X must be 2-dimensional");
        n_rows = array.shape(0);
        n_cols = array.shape(1);
    }
    if (n_rows < 0 || n_cols < 0) throw py::value_error("X must have non-negative dimensions");
    return {n_rows, n_cols};
}

// `visit(view)` with the view of X's layout, value and index types (a
// generic lambda: one instance per view type); the buffers are checked, never
// copied.
template <class Visit>
auto visit_view(const py::object& X, const Visit& visit) {
    const auto [n_rows, n_cols] = view_shape(X);
    if (!py::isinstance<py::tuple>(X)) {
        auto array = X.cast<py::array>();
        if (has_dtype<float>(array))
            return visit(DenseView<float>{checked_buffer<float>(array, "X", n_rows * n_cols, false), n_rows, n_cols});
        if (has_dtype<double>(array))
            return visit(DenseView<double>{checked_buffer<double>(array, "X", n_rows * n_cols, false), n_rows, n_cols});
        throw py::type_error("X must be float32 or float64");
    }
    auto parts = X.cast<py::tuple>();
    auto data = parts[0].cast<py::array>();
    auto indices = parts[1].cast<py::array>();
    auto indptr = parts[2].cast<py::array>();
    const std::int64_t nnz = static_cast<std::int64_t>(data.size());
    auto csr = [&](auto value_tag, auto index_tag) {
        using Value = decltype(value_tag);
        using Index = decltype(index_tag);
        CsrView<Value, Index> view;
        view.data = checked_buffer<Value>(data, "X.data", nnz, false);
        view.indices = checked_buffer<Index>(indices, "X.indices", nnz, false);
        view.indptr = checked_buffer<Index>(indptr, "X.indptr", n_rows + 1, false);
        view.n_rows = n_rows;
        view.n_cols = n_cols;
        return visit(view);
    };
    auto with_index = [&](auto value_tag) {
        if (has_dtype<std::int32_t>(indices)) return csr(value_tag, std::int32_t{});
        if (has_dtype<std::int64_t>(indices)) return csr(value_tag, std::int64_t{});
        throw py::type_error("X.indices must be int32 or int64");
    };
    if (has_dtype<float>(data)) return with_index(float{});
    if (has_dtype<double>(data)) return with_index(double{});
    throw py::type_error("X.data must be float32 or float64");
}

// A flag that ends the training sessions given it at their epoch's end
// once set (one-vs-rest classes trained at the same time: another class's
// Ctrl-C or error), read by the core without the GIL. Set from any thread.
class StopFlag {
  public:
    void set() { value_.store(true, std::memory_order_relaxed); }
    bool is_set() const { return value_.load(std::memory_order_relaxed); }
    const std::atomic<bool>* flag() const { return &value_; }

  private:
    std::atomic<bool> value_{false};
};

// A training session over the caller's buffers (see runtime/session.hpp):
// `run(epochs)` trains more epochs in place, continuing where the last run
// stopped; between runs the caller may read and write coef, intercept and
// the average buffers. The session holds references to every buffer.
class Session {
  public:
    // `make(view, targets, config, model)` makes the session for X's layout
    // (one call operator per view type: a generic lambda).
    template <class Make>
    Session(const Make& make, py::object X, py::object y, py::object sample_weight, py::object validation_mask,
            py::object coef, py::object intercept, py::object average_coef, py::object average_intercept,
            const py::dict& options)
        : buffers_(py::make_tuple(X, y, sample_weight, validation_mask, coef, intercept, average_coef,
                                  average_intercept)) {
        const TrainConfig config = bindings::config_from_dict(options);
        max_iter_ = config.stopping.max_iter;

        const auto [n_rows, n_cols] = view_shape(X);
        if (config.stopping.early_stopping && validation_mask.is_none())
            throw py::value_error("early_stopping needs a validation_mask");
        Targets targets;
        targets.y = checked_buffer<double>(y, "y", n_rows, false);
        targets.sample_weight = checked_buffer<double>(sample_weight, "sample_weight", n_rows, false);
        if (!validation_mask.is_none())
            targets.validation_mask = checked_buffer<std::uint8_t>(validation_mask, "validation_mask", n_rows, false);

        ModelState model;
        model.n_features = n_cols;
        model.weights = checked_buffer<double>(coef, "coef", n_cols, true);
        model.intercept = checked_buffer<double>(intercept, "intercept", 1, true);
        if (config.step.average > 0) {
            model.average_weights = checked_buffer<double>(average_coef, "average_coef", n_cols, true);
            model.average_intercept = checked_buffer<double>(average_intercept, "average_intercept", 1, true);
        }

        session_ = visit_view(X, [&](const auto& view) { return make(view, targets, config, model); });
    }

    // Trains up to `epochs` more epochs (None: max_iter of the options).
    py::dict run(const py::object& epochs, const py::object& epoch_callback, const py::object& progress_callback,
                 const py::object& sum_across_processes, const py::object& stop = py::none()) {
        const int n = epochs.is_none() ? max_iter_ : epochs.cast<int>();
        if (n < 1) throw py::value_error("epochs must be >= 1");
        if (running_) throw std::runtime_error("this session is already running (on another thread)");
        running_ = true;
        struct Done {
            bool& flag;
            ~Done() { flag = false; }
        } done{running_};
        // (the caller keeps `stop` alive during the run)
        const std::atomic<bool>* stop_requested = stop.is_none() ? nullptr : stop.cast<const StopFlag&>().flag();
        py::object interrupt = py::none();
        const TrainResult result = run_interruptibly(
            [&](const TrainHooks& hooks) { return session_->run(n, hooks); }, epoch_callback, interrupt,
            progress_callback, sum_across_processes, stop_requested);
        py::dict out = result_to_dict(result);
        out["interrupt"] = interrupt;  // a signal's or a callback's exception, for the caller to raise
        return out;
    }

    // {"first": ..., "second": ...}: copies of the optimizer's state (see
    // TrainingSession::optimizer_state).
    py::dict optimizer_state() const {
        const OptimizerMoments moments = session_->optimizer_state();
        py::dict state;
        state["first"] = py::array_t<double>(static_cast<py::ssize_t>(moments.first.size()), moments.first.data());
        state["second"] = py::array_t<double>(static_cast<py::ssize_t>(moments.second.size()), moments.second.data());
        return state;
    }

    void set_optimizer_state(const py::dict& state) {
        if (running_) throw std::runtime_error("this session is running (on another thread)");
        for (const auto& item : state) {
            const std::string key = py::str(item.first);
            if (key != "first" && key != "second")
                throw py::value_error("optimizer state has 'first' and 'second', not '" + key + "'");
        }
        auto moment = [&](const char* key) {
            if (!state.contains(key)) throw py::value_error(std::string("optimizer state needs '") + key + "'");
            const auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(state[key]);
            if (!values || values.ndim() != 1)
                throw py::value_error(std::string("optimizer state '") + key + "' must be a 1-D float array");
            return std::vector<double>(values.data(), values.data() + values.size());
        };
        session_->set_optimizer_state(OptimizerMoments{moment("first"), moment("second")});
    }

  private:
    py::tuple buffers_;  // keeps every buffer the session points into alive
    std::unique_ptr<TrainingSession> session_;
    int max_iter_ = 1;
    bool running_ = false;
};


// The methods every module's Session has.
inline void bind_session_methods(py::class_<Session>& session) {
    session
        .def("run", &Session::run, py::arg("epochs") = py::none(), py::arg("epoch_callback") = py::none(),
             py::arg("progress_callback") = py::none(), py::arg("sum_across_processes") = py::none(),
             py::arg("stop") = py::none(),
             "Train up to `epochs` more epochs (default: max_iter); returns the run's result dict. A\n"
             "signal whose handler raised (Ctrl-C), or a callback that raised, ends the run after the\n"
             "epochs that finished; the exception is result['interrupt'] (else None), for the caller to\n"
             "raise.\n"
             "progress_callback(fraction) is called within epochs, at most every ~200 ms, with the share\n"
             "of the epoch's rows done (an estimate, below 1).\n"
             "sum_across_processes(values): replaces a float64 array by its sums over every process of a\n"
             "distributed fit (an MPI all-reduce, in place); given, the minibatch solver takes every step\n"
             "on the gradient of all processes' batches (the other solvers refuse it).\n"
             "stop: a StopFlag; once set (from any thread), the run ends at the end of its epoch as when\n"
             "epoch_callback returns False (result['stopped_by_callback']).")
        .def("optimizer_state", &Session::optimizer_state,
             "Copies of the per-coordinate optimizer's state: {'first': velocity or Adam's first moment,\n"
             "'second': sum or moving average of squared gradients}, n_features + 1 values each (the\n"
             "intercept's last), empty where the optimizer keeps none (plain sgd); local/easgd: the\n"
             "replicas' mean.")
        .def("set_optimizer_state", &Session::set_optimizer_state, py::arg("state"),
             "Write the optimizer's state (as optimizer_state() gives it; other sizes: ValueError);\n"
             "the next run continues from it.");
}

}  // namespace hogwild::bindings
