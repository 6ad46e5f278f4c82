// pybind11 bindings of the CUDA module (_cuda): the GPU solvers' training
// session (the same Session as _core's, session_binding.hpp), the device
// queries and a copy-bandwidth probe for benchmarks. Built only where a CUDA
// compiler was found; it imports where no driver or GPU is present (the CUDA
// runtime is linked statically and looks for the driver at the first call).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "cuda_trainer.hpp"
#include "hogwild/gpu/device_session.hpp"
#include "session_binding.hpp"

namespace py = pybind11;
using namespace hogwild;
using hogwild::bindings::Session;

namespace {

auto gpu_solver(const std::string& solver, int device, const std::string& reduction) {
    if (device < 0) throw py::value_error("device must be >= 0, got " + std::to_string(device));
    return gpu::device_session_maker(solver, gpu::make_cuda_trainer, reduction, device);
}

}  // namespace

PYBIND11_MODULE(_cuda, m) {
    m.doc() = "hogwild's CUDA module: the minibatch and gd solvers on a GPU";
    py::register_exception<gpu::DeviceMemoryError>(m, "DeviceMemoryError", PyExc_MemoryError);

    py::class_<Session> session(m, "Session", py::module_local(),
                                "A training session of a GPU solver over the caller's buffers (as _core.Session):\n"
                                "the data is copied to the device once, the model stays there between batches and\n"
                                "is written back to coef / intercept after every epoch.");
    session.def(py::init([](const std::string& solver, py::object X, py::object y, py::object sample_weight,
                            py::object validation_mask, py::object coef, py::object intercept,
                            py::object average_coef, py::object average_intercept, const py::dict& options,
                            int device, const std::string& reduction) {
                    return std::make_unique<Session>(gpu_solver(solver, device, reduction), X, y, sample_weight,
                                                     validation_mask, coef, intercept, average_coef,
                                                     average_intercept, options);
                }),
                py::arg("solver"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("validation_mask"),
                py::arg("coef"), py::arg("intercept"), py::arg("average_coef"), py::arg("average_intercept"),
                py::arg("options"), py::arg("device") = 0, py::arg("reduction") = "ordered");
    bindings::bind_session_methods(session);

    m.def("device_count", &gpu::cuda_device_count, "CUDA devices this process sees (0 without a driver or GPU).");
    m.def("unavailable_reason", &gpu::cuda_unavailable_reason,
          "Why no CUDA device can be used ('' when one can).");
    m.def("device_name", &gpu::cuda_device_name, py::arg("device") = 0, "The device's name (IndexError: no such device).");
    m.def("build_info", &gpu::cuda_build_info, "cuda_version, cuda_architectures, cuda_runtime.");
    m.def("_limit_device_memory", &gpu::cuda_limit_device_memory, py::arg("n_bytes"),
          "Cap the bytes the trainers may hold on the device (0: no cap), for tests of MemoryError.");
    m.def("copy_bandwidth", &gpu::cuda_copy_bandwidth, py::arg("device") = 0, py::arg("n_bytes") = std::int64_t{1} << 30,
          "Bytes per second of a device-to-device copy (bytes read plus written), for benchmarks.");
}
