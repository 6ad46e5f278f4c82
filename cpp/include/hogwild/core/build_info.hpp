// What this binary was built with, read from compile-time definitions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hogwild {

// (key, value) pairs: version, compiler, OpenMP version, CUDA, SIMD flags.
std::vector<std::pair<std::string, std::string>> build_info();

}  // namespace hogwild
