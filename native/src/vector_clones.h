// Function multiversioning for the shim's own memory-bound kernels (batch_norm.cpp, pooling.cpp).
#pragma once

// KST_VECTOR_CLONES compiles a function twice, for AVX2 and for baseline x86-64 (SSE2), and the dynamic loader picks
// the one the machine runs (GCC's target_clones, resolved once at load). Why: the library is built without -march so it
// runs anywhere, and SSE2 made these loops compute-bound: AVX2 ran batch norm 1.4x and 3x3 pooling 1.5x faster on one
// 6.4 MiB chunk (docs/benchmarks.md). FMA is not enabled, so both clones round every operation the same way and give
// bitwise the same results. Put it on plain functions: lambdas (at::parallel_for's bodies) are not cloned.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define KST_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KST_VECTOR_CLONES
#endif
