// Portability macros shared by the CPU core and the (optional) CUDA code.
#pragma once

// Per-example math is written once and compiled for host and device.
#if defined(__CUDACC__)
#define HOGWILD_HD __host__ __device__
#else
#define HOGWILD_HD
#endif

// Hint the CPU to start loading a cache line we will need a few rows from now.
// HOGWILD_ALWAYS_INLINE: a function inlined into its caller's loop even where
// the compiler judges it too large (the row step: called out of line, every
// row spilled and reloaded its dozen arguments).
#if defined(__GNUC__) || defined(__clang__)
#define HOGWILD_PREFETCH(address) __builtin_prefetch((address), 0, 3)
#define HOGWILD_PREFETCH_WRITE(address) __builtin_prefetch((address), 1, 3)
#define HOGWILD_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define HOGWILD_PREFETCH(address) ((void)0)
#define HOGWILD_PREFETCH_WRITE(address) ((void)0)
#define HOGWILD_ALWAYS_INLINE inline
#endif
