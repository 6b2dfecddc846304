// C functions exported by native/src/autograd.cpp: requires_grad flags, backward, gradient access, grad mode.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

KST_API kst_status kst_set_requires_grad(kst_tensor t, int32_t value);

KST_API kst_status kst_requires_grad(kst_tensor t, int32_t* out);

// grad may be null (scalar output); retain_graph keeps the graph for a second backward.
KST_API kst_status kst_backward(kst_tensor t, kst_tensor grad, int32_t retain_graph);

// *out is null when the tensor has no gradient yet.
KST_API kst_status kst_grad(kst_tensor t, kst_tensor* out);

KST_API kst_status kst_set_grad_enabled(int32_t enabled, int32_t* previous);
KST_API kst_status kst_grad_enabled(int32_t* out);
