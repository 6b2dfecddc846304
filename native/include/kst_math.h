// C functions exported by native/src/math.cpp: element-wise arithmetic, comparisons, reductions, shape operations.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

KST_API kst_status kst_unary(int32_t op, kst_tensor a, kst_tensor* out);

KST_API kst_status kst_binary(int32_t op, kst_tensor a, kst_tensor b, kst_tensor* out);

KST_API kst_status kst_binary_scalar(int32_t op, kst_tensor a, double s, kst_tensor* out);

// In-place: 0 add_(b * alpha), 1 sub_(b * alpha), 2 mul_(b), 3 div_(b), 4 copy_(b).
KST_API kst_status kst_inplace(int32_t op, kst_tensor a, kst_tensor b, double alpha);

// In-place with a scalar: 0 add_, 1 sub_, 2 mul_, 3 div_, 4 fill_, 5 zero_, 6 clamp_min_, 7 clamp_max_.
KST_API kst_status kst_inplace_scalar(int32_t op, kst_tensor a, double s);

// Reductions over dims (ndims == 0: all elements): 0 sum, 1 mean, 2 amax, 3 amin, 4 var (unbiased), 5 std.
KST_API kst_status kst_reduce(int32_t op, kst_tensor a, const int64_t* dims, int32_t ndims, int32_t keepdim,
                              kst_tensor* out);

KST_API kst_status kst_argmax(kst_tensor a, int64_t dim, int32_t keepdim, kst_tensor* out);

KST_API kst_status kst_reshape(kst_tensor a, const int64_t* shape, int32_t ndim, kst_tensor* out);

KST_API kst_status kst_permute(kst_tensor a, const int64_t* dims, int32_t ndim, kst_tensor* out);

KST_API kst_status kst_flatten(kst_tensor a, int64_t start, int64_t end, kst_tensor* out);

// A view of `length` entries of `dim` starting at `start` (channel slicing for width search).
KST_API kst_status kst_narrow(kst_tensor a, int64_t dim, int64_t start, int64_t length, kst_tensor* out);

KST_API kst_status kst_unsqueeze(kst_tensor a, int64_t dim, kst_tensor* out);

KST_API kst_status kst_cat(const kst_tensor* ts, int32_t n, int64_t dim, kst_tensor* out);

KST_API kst_status kst_stack(const kst_tensor* ts, int32_t n, int64_t dim, kst_tensor* out);

KST_API kst_status kst_index_select(kst_tensor a, int64_t dim, kst_tensor index, kst_tensor* out);

KST_API kst_status kst_where(kst_tensor cond, kst_tensor a, kst_tensor b, kst_tensor* out);

KST_API kst_status kst_allclose(kst_tensor a, kst_tensor b, double rtol, double atol, int32_t* out);
