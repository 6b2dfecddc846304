// C functions exported by native/src/optim.cpp: fused optimizer steps over a parameter list.
// Declared extern "C" (KST_API). Those returning kst_status follow kst_common.h: KST_OK or an error code,
// the message in kst_last_error().
#pragma once

#include "kst_common.h"

// buffers[i] may be null only when momentum == 0.
KST_API kst_status kst_sgd_step(const kst_tensor* params, const kst_tensor* buffers, int32_t n, double lr,
                                double momentum, double weight_decay, int32_t nesterov, int32_t untouched);

// PyTorch's RMSprop: v = alpha v + (1-alpha) g^2; step = g / (sqrt(v) + eps) (or sqrt(v + eps) when
// eps_inside, TensorFlow's form); with momentum: b = mu b + step; p -= lr b.
KST_API kst_status kst_rmsprop_step(const kst_tensor* params, const kst_tensor* square_avg, const kst_tensor* momentum_buf,
                                    int32_t n, double lr, double alpha, double eps, double momentum,
                                    double weight_decay, int32_t eps_inside);

// Scales all gradients so that their global L2 norm is at most max_norm; reports the norm before.
KST_API kst_status kst_clip_grad_norm(const kst_tensor* params, int32_t n, double max_norm, double* total_norm);

// set_to_none semantics: the next backward allocates fresh gradients; untouched weights stay gradient-free.
KST_API kst_status kst_zero_grad(const kst_tensor* params, int32_t n);

// Exponential moving average of weights: ema = decay * ema + (1 - decay) * p.
KST_API kst_status kst_ema_update(const kst_tensor* ema, const kst_tensor* params, int32_t n, double decay);
