// The parts of the _core module, each bound in its own file.
#pragma once

#include <pybind11/pybind11.h>

namespace hogwild::bindings {

// Data sets: generators and readers (datasets_bindings.cpp).
void bind_datasets(pybind11::module_& m);

}  // namespace hogwild::bindings
