// C functions exported by native/src/distributed.cpp: process groups over c10d: rendezvous and collectives.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

// Rendezvous through a TCPStore that rank 0 hosts at master_addr:port, then a Gloo process group.
// timeout_ms bounds the rendezvous and every later collective.
KST_API kst_status kst_pg_create(const char* master_addr, int32_t port, int32_t rank, int32_t world, int64_t timeout_ms, void** out);

KST_API kst_status kst_pg_free(void* h);

// Sums (average != 0: averages) the tensors in place across ranks, as one flat buffer.
KST_API kst_status kst_pg_allreduce(void* h, const kst_tensor* ts, int32_t n, int32_t average, const char* label);

// All-reduce of the gradients of a parameter list (those with a gradient; every rank must have the same set),
// one flat buffer; average != 0 divides by the world size. out_elements: scalars sent (the bucket size).
KST_API kst_status kst_pg_allreduce_grads(void* h, const kst_tensor* params, int32_t n, int32_t average, const char* label,
                                          int64_t* out_elements);

// Copies root's values of the tensors into every rank's tensors (one flat buffer).
KST_API kst_status kst_pg_broadcast(void* h, const kst_tensor* ts, int32_t n, int32_t root, const char* label);

// Every rank's copy of a small tensor (same shape on all ranks), stacked along a new first dimension.
KST_API kst_status kst_pg_allgather(void* h, kst_tensor t, const char* label, kst_tensor* out);

KST_API kst_status kst_pg_barrier(void* h, const char* label);

KST_API kst_status kst_pg_info(void* h, int32_t* rank, int32_t* world);
