#pragma once
// LAMINA_CPU_CLONES on a hot loop's function compiles it three times -- for AVX-512, for
// AVX2 and for baseline x86-64 -- and the loader picks the widest the CPU has (GCC function
// multi-versioning, resolved once through an ifunc). The library itself is built for any
// x86-64 (never -march=native), so without it those loops run on 128-bit SSE2 vectors.
// Only ISA-level clones: the results differ from the baseline's by nothing but speed, since
// the build does not contract a*b+c into FMA (ISO C++ mode: -ffp-contract=off).
// Not under ThreadSanitizer: an ifunc resolver runs while relocating, before TSan's runtime
// is up, and TSan instruments it (the program dies before main).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__)
#define LAMINA_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LAMINA_CPU_CLONES
#endif
