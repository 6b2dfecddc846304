// C functions exported by native/src/tensor.cpp: tensor lifetime, metadata, host copies.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

KST_API kst_status kst_tensor_free(kst_tensor t);

// Copies host memory into a new tensor (one copy: the tensor must own its storage).
KST_API kst_status kst_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int32_t ndim,
                                        int32_t dtype, int32_t device_type, int32_t device_index, kst_tensor* out);

KST_API kst_status kst_tensor_copy_to(kst_tensor t, void* dst, int64_t nbytes);

// Creation kinds: 0 empty, 1 zeros, 2 ones, 3 full(value), 4 rand U[0,1), 5 randn N(0,1).
KST_API kst_status kst_tensor_create(int32_t kind, const int64_t* shape, int32_t ndim, double value, int32_t dtype,
                                     int32_t device_type, int32_t device_index, kst_tensor* out);

KST_API kst_status kst_tensor_arange(int64_t n, int32_t dtype, kst_tensor* out);

KST_API kst_status kst_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, kst_tensor* out);

KST_API kst_status kst_tensor_randperm(int64_t n, kst_tensor* out);

// An uninitialized tensor of t's shape, type, device and memory layout (channels-last stays channels-last).
KST_API kst_status kst_tensor_empty_like(kst_tensor t, kst_tensor* out);

KST_API kst_status kst_tensor_ndim(kst_tensor t, int32_t* out);

KST_API kst_status kst_tensor_shape(kst_tensor t, int64_t* out, int32_t capacity);

KST_API kst_status kst_tensor_dtype(kst_tensor t, int32_t* out);

KST_API kst_status kst_tensor_device(kst_tensor t, int32_t* type, int32_t* index);

KST_API kst_status kst_tensor_numel(kst_tensor t, int64_t* out);

KST_API kst_status kst_tensor_item(kst_tensor t, double* out);

// Conversions: 0 detach, 1 clone, 2 contiguous, 3 to dtype (arg), 4 to device (arg = type, arg2 = index).
KST_API kst_status kst_tensor_convert(kst_tensor t, int32_t kind, int32_t arg, int32_t arg2, kst_tensor* out);

// A new handle to the same tensor (shares storage and autograd identity).
KST_API kst_status kst_tensor_alias(kst_tensor t, kst_tensor* out);

// Replaces the tensor's data (and so its dtype or device) keeping its identity: handles, parameter lists
// and requires_grad stay valid. Used to convert whole modules (e.g. to float64 for gradient checks).
KST_API kst_status kst_tensor_set_data(kst_tensor t, kst_tensor source);
