// Portability macros shared by the CPU core and the (optional) CUDA code.
#pragma once

// Per-example math is written once and compiled for host and device.
#if defined(__CUDACC__)
#define HOGWILD_HD __host__ __device__
#else
#define HOGWILD_HD
#endif

// Hint the CPU to start loading a cache line we will need a few rows from now.
// HOGWILD_ALWAYS_INLINE: a function inlined into its callers even where the
// compiler judges it too large (the row step: called out of line, every row
// spilled and reloaded its dozen arguments; the hogwild solver's step(), which
// holds it once per weight layout, stays a call: inlining that too gained
// nothing on small data and took a9a's one-thread fit from 35-36 to 37-40 ms).
#if defined(__GNUC__) || defined(__clang__)
#define HOGWILD_PREFETCH(address) __builtin_prefetch((address), 0, 3)
#define HOGWILD_PREFETCH_WRITE(address) __builtin_prefetch((address), 1, 3)
#define HOGWILD_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define HOGWILD_PREFETCH(address) ((void)0)
#define HOGWILD_PREFETCH_WRITE(address) ((void)0)
#define HOGWILD_ALWAYS_INLINE inline
#endif
