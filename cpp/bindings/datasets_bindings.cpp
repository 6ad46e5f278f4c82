// pybind11 bindings of the data-set code: generated problems (and readers).
// Results are handed to NumPy without copying.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "bindings.hpp"
#include "hogwild/synthetic.hpp"

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

py::tuple generate_sparse_classification(std::int64_t n_rows, std::int64_t n_features, std::int64_t nnz_per_row,
                                     bool zipf, double zipf_exponent, double label_noise, std::uint64_t seed,
                                     int n_threads) {
    SyntheticOptions options{n_rows, n_features, nnz_per_row, zipf, zipf_exponent, label_noise, seed};
    SyntheticProblem problem;
    {
        py::gil_scoped_release release;
        problem = hogwild::make_sparse_classification(options, n_threads);
    }
    return py::make_tuple(to_numpy(std::move(problem.data)), to_numpy(std::move(problem.indices)),
                          to_numpy(std::move(problem.indptr)), to_numpy(std::move(problem.y)));
}

}  // namespace

namespace hogwild::bindings {

void bind_datasets(py::module_& m) {
    m.def("make_sparse_classification", &generate_sparse_classification, py::arg("n_rows"), py::arg("n_features"),
          py::arg("nnz_per_row"), py::arg("zipf"), py::arg("zipf_exponent"), py::arg("label_noise"), py::arg("seed"),
          py::arg("n_threads"), "Generated CSR arrays (data, indices, indptr) and labels; see synthetic.hpp.");
}

}  // namespace hogwild::bindings
