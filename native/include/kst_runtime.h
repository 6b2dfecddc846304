// C functions exported by native/src/runtime.cpp: runtime-wide state.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error(); kst_abi_version, kst_last_error and kst_torch_version return their value directly.
#pragma once

#include "kst_common.h"

KST_API int32_t kst_abi_version();

// Valid until the next failing call on the same thread; the managed side copies it at once.
KST_API const char* kst_last_error();

KST_API const char* kst_torch_version();

KST_API kst_status kst_live_tensors(int64_t* out);

KST_API kst_status kst_set_num_threads(int32_t n);

KST_API kst_status kst_get_num_threads(int32_t* out);

KST_API kst_status kst_manual_seed(uint64_t seed);

// The CPU generator's full state as a uint8 tensor, for bit-exact resume.
KST_API kst_status kst_rng_get_state(kst_tensor* out);

KST_API kst_status kst_rng_set_state(kst_tensor state);

KST_API kst_status kst_cuda_is_available(int32_t* out);
