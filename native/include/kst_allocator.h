// C functions exported by native/src/allocator.cpp: the caching CPU allocator and its byte statistics.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

// enable: 1 caches freed blocks (up to cap_bytes cached), 0 frees the cache and passes through.
// The first call installs the allocator for every later CPU tensor of the process.
KST_API kst_status kst_cpu_cache_configure(int32_t enable, int64_t cap_bytes);

// Bytes in live tensors allocated by the caching allocator, their peak since the last reset, bytes cached,
// and cache hits/misses (requests of at least 64 KiB).
KST_API kst_status kst_cpu_cache_stats(int64_t* in_use, int64_t* peak, int64_t* cached, int64_t* hits, int64_t* misses);

// Sets the peak to the bytes in use now.
KST_API kst_status kst_cpu_cache_reset_peak();

// Frees every cached block (caching stays as configured).
KST_API kst_status kst_cpu_cache_empty();
