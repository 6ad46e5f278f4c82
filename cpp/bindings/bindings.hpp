// The parts of the _core module, each bound in its own file.
#pragma once

#include <pybind11/pybind11.h>

#include "hogwild/config.hpp"
#include "hogwild/core/interrupted.hpp"

namespace hogwild::bindings {

// The configuration from the options dict of the Python layer; every option
// required, any other key refused (config_options.cpp).
TrainConfig config_from_dict(const pybind11::dict& options);

// A poll for long calls of the core: every ~100 ms it takes the GIL to let
// Python run its signal handlers and says whether one raised (Ctrl-C: the
// exception is then pending in Python; datasets_bindings.cpp).
hogwild::InterruptPoll python_signal_poll();

// Data sets: generators and readers (datasets_bindings.cpp).
void bind_datasets(pybind11::module_& m);

// Matrix factorization: the trainer and prediction (mf_bindings.cpp).
void bind_matrix_factorization(pybind11::module_& m);

}  // namespace hogwild::bindings
