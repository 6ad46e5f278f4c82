#include "hogwild/core/build_info.hpp"

#include <omp.h>

#ifndef HOGWILD_VERSION
#define HOGWILD_VERSION "unknown"
#endif
#ifndef HOGWILD_CUDA_COMPILER_FOUND
#define HOGWILD_CUDA_COMPILER_FOUND 0
#endif
#ifndef HOGWILD_CUDA_OPTION
#define HOGWILD_CUDA_OPTION "unknown"
#endif
#ifndef HOGWILD_BUILD_TYPE
#define HOGWILD_BUILD_TYPE "unknown"
#endif

namespace hogwild {

namespace {

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return "gcc " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
           std::to_string(__GNUC_PATCHLEVEL__);
#else
    return "unknown";
#endif
}

std::string simd_flags() {
    std::string flags;
    auto add = [&](const char* name) { flags += flags.empty() ? name : std::string(" ") + name; };
#if defined(__SSE2__)
    add("sse2");
#endif
#if defined(__AVX__)
    add("avx");
#endif
#if defined(__AVX2__)
    add("avx2");
#endif
#if defined(__FMA__)
    add("fma");
#endif
#if defined(__AVX512F__)
    add("avx512f");
#endif
#if defined(__ARM_NEON)
    add("neon");
#endif
    return flags;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> build_info() {
    return {
        {"version", HOGWILD_VERSION},
        {"compiler", compiler()},
        {"cxx_standard", std::to_string(__cplusplus)},
        {"build_type", HOGWILD_BUILD_TYPE},
        {"openmp", std::to_string(_OPENMP)},
        {"cuda", "off"},  // the core's; hogwild.build_info() says "on" where the _cuda module imports
        {"cuda_compiler_found", HOGWILD_CUDA_COMPILER_FOUND ? "yes" : "no"},
        {"cuda_option", HOGWILD_CUDA_OPTION},  // the build's HOGWILD_CUDA: AUTO, ON or OFF
        {"simd", simd_flags()},
    };
}

}  // namespace hogwild
