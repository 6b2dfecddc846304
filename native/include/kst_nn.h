// C functions exported by native/src/nn.cpp: neural-network functions.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

KST_API kst_status kst_conv2d(kst_tensor input, kst_tensor weight, kst_tensor bias, int64_t stride_h, int64_t stride_w,
                              int64_t pad_h, int64_t pad_w, int64_t dilation, int64_t groups, kst_tensor* out);

// weight/bias/running stats may be null (non-affine BN, or BN that always uses batch statistics). Training mode (batch
// statistics) on float CPU tensors with no gradient wanted runs KShotNas's own kernel (batch_norm.cpp), faster than ATen's.
KST_API kst_status kst_batch_norm(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor running_mean,
                                  kst_tensor running_var, int32_t training, double momentum, double eps,
                                  kst_tensor* out);

// target = batch_norm(input) (accumulate 0; target may be input itself) or target += batch_norm(input) (accumulate 1),
// then target = relu(target) when relu is 1; arguments as kst_batch_norm. Without a gradient one pass writes target;
// otherwise ATen's batch norm, then copy_/add_ (and relu_).
KST_API kst_status kst_batch_norm_into(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor running_mean,
                                       kst_tensor running_var, int32_t training, double momentum, double eps,
                                       kst_tensor target, int32_t accumulate, int32_t relu);

// Per-channel mean and biased variance over dims 0, 2, 3, ... of a float CPU tensor [N, C, ...] into mean[C] and var[C]
// (double): one chunk's share of a batch's statistics when a large batch runs as chunks.
KST_API kst_status kst_channel_moments(kst_tensor input, double* mean, double* var, int64_t channels);

// target = t0 + t1 + ... + t(count-1), left to right, where t_i is terms[i] read as kinds[i] says: 0 as it is, 1
// batch-normalized with its batch's statistics (non-affine, eps), 2 average-pooled 3x3 (stride 1, padding 1, padding
// not counted); then relu(target) when relu is 1, or, with relu_copy non-null, target the sum and relu_copy its ReLU.
// terms[0] may be target itself unless pooled, no other term. With pooled non-null (even H and W), *pooled receives a
// new tensor [N, C, H / 2, W / 2] in the target's layout: the 2x2 stride-2 average pooling of the sum before the ReLU. No
// gradients (an error when one is wanted): one pass writes the sum after one statistics pass per normalized term (a
// cell node of a scoring forward).
KST_API kst_status kst_normalized_sum(const kst_tensor* terms, const int32_t* kinds, int32_t count, double eps,
                                     kst_tensor target, int32_t relu, kst_tensor relu_copy, kst_tensor* pooled);

KST_API kst_status kst_linear(kst_tensor input, kst_tensor weight, kst_tensor bias, kst_tensor* out);

// kind: 0 average (count_include_pad as given), 1 max, 2 average through ATen's own kernel (see nn.cpp).
KST_API kst_status kst_pool2d(int32_t kind, kst_tensor input, int64_t kernel, int64_t stride, int64_t padding,
                              int32_t count_include_pad, int32_t ceil_mode, kst_tensor* out);

// target += average pooling of input (arguments as kst_pool2d's kind 0, no ceil mode). Without a gradient, 3x3 stride 1
// padding 1 pooling is added in the pass that computes it; otherwise kst_pool2d's result is added in place.
KST_API kst_status kst_avg_pool2d_add_(kst_tensor target, kst_tensor input, int64_t kernel, int64_t stride,
                                       int64_t padding, int32_t count_include_pad);

KST_API kst_status kst_adaptive_avg_pool2d(kst_tensor input, int64_t out_h, int64_t out_w, kst_tensor* out);

// kind: 0 softmax, 1 log_softmax.
KST_API kst_status kst_softmax(int32_t kind, kst_tensor input, int64_t dim, kst_tensor* out);

// reduction: 0 none, 1 mean, 2 sum (torch::Reduction order).
KST_API kst_status kst_cross_entropy(kst_tensor logits, kst_tensor target, double label_smoothing, int32_t reduction,
                                     kst_tensor* out);

KST_API kst_status kst_dropout(kst_tensor input, double p, int32_t training, kst_tensor* out);

// In-place random init under no-grad: 0 uniform_(a, b), 1 normal_(mean a, std b).
KST_API kst_status kst_init_(int32_t kind, kst_tensor t, double a, double b);
