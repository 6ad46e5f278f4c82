// pybind11 bindings of the data-set code: generated problems and the
// svmlight reader. Results are handed to NumPy without copying.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "bindings.hpp"
#include "hogwild/io/svmlight_reader.hpp"
#include "hogwild/io/synthetic.hpp"

namespace py = pybind11;
using namespace hogwild;

namespace {

template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values) {
    // hand the vector's buffer to NumPy without copying
    auto* owned = new std::vector<T>(std::move(values));
    py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>({static_cast<py::ssize_t>(owned->size())}, owned->data(), free_when_done);
}

}  // namespace

namespace hogwild::bindings {
InterruptPoll python_signal_poll() {
    auto last_check = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    return [last_check]() {
        const auto now = std::chrono::steady_clock::now();
        if (now - *last_check < std::chrono::milliseconds(100)) return false;
        *last_check = now;
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
    };
}
}  // namespace hogwild::bindings

namespace {

py::tuple generate_sparse_problem(std::int64_t n_rows, std::int64_t n_features, std::int64_t nnz_per_row, bool zipf,
                                  double zipf_exponent, bool regression, double noise, std::uint64_t seed,
                                  int n_threads) {
    SyntheticOptions options;
    options.n_rows = n_rows;
    options.n_features = n_features;
    options.nnz_per_row = nnz_per_row;
    options.zipf = zipf;
    options.zipf_exponent = zipf_exponent;
    options.regression = regression;
    options.noise = noise;
    options.seed = seed;
    SyntheticProblem problem;
    const InterruptPoll interrupted = bindings::python_signal_poll();
    try {
        py::gil_scoped_release release;
        problem = hogwild::make_sparse_problem(options, n_threads, interrupted);
    } catch (const hogwild::Interrupted&) {
        throw py::error_already_set();  // the handler's exception (KeyboardInterrupt)
    }
    return py::make_tuple(to_numpy(std::move(problem.data)), to_numpy(std::move(problem.indices)),
                          to_numpy(std::move(problem.indptr)), to_numpy(std::move(problem.y)),
                          to_numpy(std::move(problem.coef)));
}

ParsedSvmlight parse_svmlight_buffer(const py::buffer& text, int n_threads) {
    const py::buffer_info info = text.request();
    if (info.ndim != 1 || info.itemsize != 1 || info.strides[0] != 1)
        throw py::value_error("svmlight text must be a contiguous buffer of bytes");
    const std::string_view view(static_cast<const char*>(info.ptr), static_cast<std::size_t>(info.size));
    const InterruptPoll interrupted = bindings::python_signal_poll();
    try {
        py::gil_scoped_release release;  // `text` stays referenced by the caller
        return parse_svmlight(view, n_threads, interrupted);
    } catch (const hogwild::Interrupted&) {
        throw py::error_already_set();  // the handler's exception (KeyboardInterrupt)
    }
}

template <class Value, class Index>
py::tuple assemble(const ParsedSvmlight& parsed, std::int64_t shift, bool want_qids, int n_threads) {
    py::array_t<Value> values(parsed.nnz);
    py::array_t<Index> indices(parsed.nnz);
    py::array_t<Index> indptr(parsed.n_rows + 1);
    py::array_t<double> labels(parsed.n_rows);
    py::object qids = py::none();
    std::int64_t* qid_data = nullptr;
    if (want_qids) {
        py::array_t<std::int64_t> qid_array(parsed.n_rows);
        qid_data = qid_array.mutable_data();
        qids = std::move(qid_array);
    }
    Value* value_data = values.mutable_data();
    Index* index_data = indices.mutable_data();
    Index* indptr_data = indptr.mutable_data();
    double* label_data = labels.mutable_data();
    {
        py::gil_scoped_release release;
        assemble_svmlight<Value, Index>(parsed, shift, n_threads, value_data, index_data, indptr_data, label_data,
                                        qid_data);
    }
    return py::make_tuple(values, indices, indptr, labels, qids);
}

}  // namespace

namespace hogwild::bindings {

void bind_datasets(py::module_& m) {
    m.def("make_sparse_problem", &generate_sparse_problem, py::arg("n_rows"), py::arg("n_features"),
          py::arg("nnz_per_row"), py::arg("zipf"), py::arg("zipf_exponent"), py::arg("regression"), py::arg("noise"),
          py::arg("seed"), py::arg("n_threads"),
          "Generated CSR arrays (data, indices, indptr), targets and hidden weights; see synthetic.hpp.");

    py::class_<ParsedSvmlight>(m, "ParsedSvmlight", "svmlight text parsed into chunks, indices as written")
        .def_readonly("n_rows", &ParsedSvmlight::n_rows)
        .def_readonly("nnz", &ParsedSvmlight::nnz)
        .def_readonly("min_index", &ParsedSvmlight::min_index)
        .def_readonly("max_index", &ParsedSvmlight::max_index)
        .def(
            "assemble",
            [](const ParsedSvmlight& parsed, bool float64, bool int64_indices, std::int64_t shift, bool want_qids,
               int n_threads) {
                if (float64)
                    return int64_indices ? assemble<double, std::int64_t>(parsed, shift, want_qids, n_threads)
                                         : assemble<double, std::int32_t>(parsed, shift, want_qids, n_threads);
                return int64_indices ? assemble<float, std::int64_t>(parsed, shift, want_qids, n_threads)
                                     : assemble<float, std::int32_t>(parsed, shift, want_qids, n_threads);
            },
            py::arg("float64"), py::arg("int64_indices"), py::arg("shift"), py::arg("want_qids"), py::arg("n_threads"),
            "(data, indices - shift, indptr, labels, qids or None) as CSR arrays");
    m.def("parse_svmlight", &parse_svmlight_buffer, py::arg("text"), py::arg("n_threads"),
          "Parses svmlight text (bytes); ValueError 'line N: ...' on a malformed line.");
}

}  // namespace hogwild::bindings
