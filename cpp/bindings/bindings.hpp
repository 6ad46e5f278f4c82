// The parts of the _core module, each bound in its own file.
#pragma once

#include <pybind11/pybind11.h>

#include "hogwild/config.hpp"

namespace hogwild::bindings {

// The configuration from the options dict of the Python layer; every option
// required, any other key refused (config_options.cpp).
TrainConfig config_from_dict(const pybind11::dict& options);

// Data sets: generators and readers (datasets_bindings.cpp).
void bind_datasets(pybind11::module_& m);

}  // namespace hogwild::bindings
