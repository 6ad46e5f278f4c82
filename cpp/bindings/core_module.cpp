// pybind11 bindings: the only code that knows Python. It turns NumPy
// buffers into views without copying, parses the configuration, releases the
// GIL for training and turns Ctrl-C into KeyboardInterrupt.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <omp.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "bindings.hpp"
#include "session_binding.hpp"
#include "hogwild/gpu/batch_trainer.hpp"
#include "hogwild/gpu/device_session.hpp"
#include "hogwild/core/build_info.hpp"
#include "hogwild/config.hpp"
#include "hogwild/core/low_precision.hpp"
#include "hogwild/solvers.hpp"
#include "hogwild/core/topology.hpp"
#include "hogwild/runtime/thread_placement.hpp"
#include "hogwild/core/views.hpp"
#include "hogwild/linear/row_norms.hpp"

namespace py = pybind11;
using namespace hogwild;
using hogwild::bindings::Session;

namespace {

// The registry as the Python layer reads it: one dict per solver.
py::list solvers() {
    py::list out;
    using namespace pybind11::literals;
    for (const SolverInfo& info : kSolvers)
        out.append(py::dict("name"_a = info.name, "parallel"_a = info.parallel, "optimizers"_a = info.optimizers,
                            "passive_aggressive"_a = info.passive_aggressive,
                            "deterministic"_a = info.deterministic, "summary"_a = info.summary));
    return out;
}

// The CPU solvers' session maker: the registry's solver of this name.
auto cpu_solver(const std::string& solver) {
    find_solver(solver);  // an unknown name: ValueError (pybind11 maps std::invalid_argument to it)
    return [solver](const auto& view, const Targets& targets, const TrainConfig& config, const ModelState& model) {
        return make_session(solver, view, targets, config, model);
    };
}

// The GPU solvers' session maker with the GPU trainer's CPU emulation (for
// tests on machines without a GPU; gpu/host_backend.hpp).
auto emulated_gpu_solver(const std::string& solver, const std::string& reduction, bool warps) {
    return gpu::device_session_maker(
        solver, warps ? gpu::make_host_emulated_warp_trainer : gpu::make_host_emulated_trainer, reduction, 0);
}

py::dict train(const std::string& solver, py::object X, py::object y, py::object sample_weight,
               py::object validation_mask, py::object coef, py::object intercept, py::object average_coef,
               py::object average_intercept, const py::dict& options, const py::object& epoch_callback) {
    Session session(cpu_solver(solver), X, y, sample_weight, validation_mask, coef, intercept, average_coef,
                    average_intercept, options);
    py::dict result = session.run(py::none(), epoch_callback, py::none(), py::none());
    if (!result["interrupt"].is_none()) {  // (this one-call form raises it at once)
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(result["interrupt"].ptr())), result["interrupt"].ptr());
        throw py::error_already_set();
    }
    return result;
}

// For tests of buckwild's rounding: each value stochastically rounded to
// the format and decoded back.
py::array_t<double> stochastic_round(const py::array_t<double, py::array::c_style | py::array::forcecast>& values,
                                     const std::string& precision, double range, std::uint64_t seed) {
    py::array_t<double> out(values.size());
    FastRandom random(seed);
    bool saturated = false;
    auto round_all = [&](auto format) {
        format.set_range(range);
        for (py::ssize_t k = 0; k < values.size(); ++k)
            out.mutable_at(k) = format.decode(format.encode(values.at(k), random, saturated));
    };
    if (precision == "int8") round_all(FixedPoint<std::int8_t>{});
    else if (precision == "int16") round_all(FixedPoint<std::int16_t>{});
    else if (precision == "bfloat16") round_all(BFloat16{});
    else throw py::value_error("unknown precision: '" + precision + "'");
    return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "hogwild's C++ core: SGD solvers over zero-copy views of NumPy / SciPy buffers";
    m.def("train", &train, py::arg("solver"), py::arg("X"), py::arg("y"), py::arg("sample_weight"),
          py::arg("validation_mask"), py::arg("coef"), py::arg("intercept"), py::arg("average_coef"),
          py::arg("average_intercept"), py::arg("options"), py::arg("epoch_callback") = py::none(),
          "Train in place. X is a dense 2-D array or a tuple (data, indices, indptr, n_rows, n_cols).\n"
          "epoch_callback(record) is called after each epoch (record['coef'] is a read-only view valid\n"
          "during the call); returning False stops training.");
    py::class_<Session> session(m, "Session", py::module_local(),
                                "A training session over the caller's buffers: run(epochs) trains more epochs in place,\n"
                                "continuing exactly where the last run stopped; coef, intercept and the average buffers\n"
                                "may be read and written between runs (a written model is where the next run starts).");
    session.def(py::init([](const std::string& solver, py::object X, py::object y, py::object sample_weight,
                            py::object validation_mask, py::object coef, py::object intercept,
                            py::object average_coef, py::object average_intercept, const py::dict& options) {
                    return std::make_unique<Session>(cpu_solver(solver), X, y, sample_weight, validation_mask, coef,
                                                     intercept, average_coef, average_intercept, options);
                }),
                py::arg("solver"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("validation_mask"),
                py::arg("coef"), py::arg("intercept"), py::arg("average_coef"), py::arg("average_intercept"),
                py::arg("options"));
    bindings::bind_session_methods(session);
    py::class_<bindings::StopFlag>(m, "StopFlag",
                                   "Ends the Session runs given it (run(stop=...)) at their epoch's end once set, from\n"
                                   "any thread; read by the core without the GIL.")
        .def(py::init<>())
        .def("set", &bindings::StopFlag::set, "Ask the runs to stop at their epoch's end.")
        .def("is_set", &bindings::StopFlag::is_set, "Whether set() was called.");
    m.def(
        "_emulated_gpu_session",
        [](const std::string& solver, py::object X, py::object y, py::object sample_weight, py::object validation_mask,
           py::object coef, py::object intercept, py::object average_coef, py::object average_intercept,
           const py::dict& options, const std::string& reduction, bool warps) {
            return std::make_unique<Session>(emulated_gpu_solver(solver, reduction, warps), X, y, sample_weight,
                                             validation_mask, coef, intercept, average_coef, average_intercept,
                                             options);
        },
        py::arg("solver"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("validation_mask"),
        py::arg("coef"), py::arg("intercept"), py::arg("average_coef"), py::arg("average_intercept"),
        py::arg("options"), py::arg("reduction") = "ordered", py::arg("warps") = false,
        "A Session of the GPU solvers ('minibatch', 'gd') whose kernel bodies run on the CPU, one\n"
        "after another (the GPU trainer's emulation, for tests without a GPU; slow). warps: the\n"
        "GPU's 32 lanes per long row and hot feature and its summation trees (else one lane: the\n"
        "CPU's order).");
    m.def(
        "largest_squared_row_norm",
        [](const py::object& X) {
            return hogwild::bindings::visit_view(X, [](const auto& view) {
                py::gil_scoped_release release;
                return largest_squared_row_norm(view);
            });
        },
        py::arg("X"),
        "max_i ||x_i||^2 of X as `train` takes it (a 2-D array or a CSR tuple), in double precision; one "
        "pass over the stored values, without a copy (learning_rate='auto').");
    m.def(
        "scan_csr",
        [](const py::tuple& X, int n_threads) {
            return hogwild::bindings::visit_view(X, [&](const auto& view) -> py::tuple {
                if constexpr (requires { view.indptr; }) {
                    CsrScan scan;
                    {
                        py::gil_scoped_release release;
                        scan = scan_csr(view, std::max(1, n_threads));
                    }
                    return py::make_tuple(scan.smallest_index, scan.largest_index, scan.largest_squared_row_norm,
                                          scan.rows_increasing);
                } else {
                    throw py::type_error("scan_csr takes a CSR tuple");
                }
            });
        },
        py::arg("X"), py::arg("n_threads") = hogwild::usable_cpu_count(),
        "(smallest column index, largest column index, largest squared row norm, whether every row's "
        "indices increase strictly) of a CSR tuple (data, indices, indptr, n_rows, n_cols) whose indptr "
        "is valid, in one pass over its entries on n_threads threads; (0, -1, 0.0, True) where it stores "
        "nothing; the norm is NaN or infinite where a value is not finite (or its square overflows).");
    m.def(
        "csr_stores_duplicates",
        [](const py::tuple& X, int n_threads) {
            return hogwild::bindings::visit_view(X, [&](const auto& view) -> bool {
                if constexpr (requires { view.indptr; }) {
                    py::gil_scoped_release release;
                    return csr_stores_duplicates(view, std::max(1, n_threads));
                } else {
                    throw py::type_error("csr_stores_duplicates takes a CSR tuple");
                }
            });
        },
        py::arg("X"), py::arg("n_threads") = 1,
        "Whether a row of a CSR tuple (data, indices, indptr, n_rows, n_cols) whose indptr is valid stores a "
        "column twice: the rows whose indices do not increase, each sorted in a buffer of the longest row's "
        "length (no copy of the index arrays).");
    m.def("solvers", &solvers,
          "The registered solvers: name, parallel, optimizers, passive_aggressive, deterministic, summary.");
    m.def("build_info", []() {
        py::dict info;
        for (const auto& [key, value] : hogwild::build_info()) info[py::str(key)] = value;
        return info;
    });
    hogwild::bindings::bind_datasets(m);
    hogwild::bindings::bind_matrix_factorization(m);
    m.def("_stochastic_round", &stochastic_round, py::arg("values"), py::arg("precision"), py::arg("range"),
          py::arg("seed"), "Values rounded as buckwild stores them (for tests).");
    m.def("usable_cpu_count", &hogwild::usable_cpu_count, "CPUs in this process's affinity mask.");
    m.def(
        "openmp_max_threads", []() { return omp_get_max_threads(); },
        "omp_get_max_threads() of the OpenMP runtime the core uses: OMP_NUM_THREADS, or a limit\n"
        "threadpoolctl set on that runtime.");
    m.def("allowed_cpus", &hogwild::allowed_cpus);
    m.def(
        "topology",
        [](const std::string& spec, const std::string& sysfs_root) {
            const Topology topology = !spec.empty() || sysfs_root.empty() ? machine_topology(spec)
                                                                          : read_topology(sysfs_root);
            py::list nodes;
            for (const auto& node : topology.nodes) {
                py::dict entry;
                entry["node"] = node.id;
                entry["cpus"] = node.cpus;
                entry["physical_cores"] = node.physical_cores;
                entry["distances"] = node.distances;
                nodes.append(entry);
            }
            py::dict out;
            out["nodes"] = nodes;
            out["simulated"] = topology.simulated;
            out["source"] = topology.source;
            return out;
        },
        py::arg("spec") = "", py::arg("sysfs_root") = "",
        "The machine as the solvers see it: {'nodes': [{'node', 'cpus' (placement order: physical cores\n"
        "first), 'physical_cores', 'distances'}], 'simulated', 'source'}. `spec` \"NxM\" simulates N nodes\n"
        "of M CPUs; else HOGWILD_TOPOLOGY; else sysfs (below `sysfs_root` when given), restricted to the\n"
        "affinity mask (one node of every allowed CPU where sysfs says nothing).");
    m.def(
        "place_threads",
        [](int n_threads, bool spread, const std::string& spec) {
            const ThreadPlacement placement = place_threads(machine_topology(spec), n_threads, spread);
            py::dict out;
            out["cpus"] = placement.cpus;
            out["nodes"] = placement.node_ids;
            return out;
        },
        py::arg("n_threads"), py::arg("spread"), py::arg("spec") = "",
        "Where a team of n_threads would run: per thread its CPU and node id (thread_placement.hpp).");
}
