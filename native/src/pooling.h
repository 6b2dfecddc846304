// Average pooling without autograd, one pass over the input (pooling.cpp), used by kst_pool2d when no gradient is wanted.
#pragma once

#include "kst_torch.h"

#include <vector>

namespace kst {
// True when the direct kernels serve this call: a float CPU 4-D tensor and no gradient wanted (grad mode off, or an
// input that does not require one).
bool direct_pooling_applies(const torch::Tensor& x);

// 3x3 stride-1 padding-1 average pooling; count_include_pad false divides by the in-image taps (9, 6 or 4).
torch::Tensor direct_avg_pool3x3(const torch::Tensor& x, bool count_include_pad);

// target += the 3x3 pooling of x, in the pass that computes it (scoring's sums of pooled nodes: no output tensor, no
// second pass to add it). target must pass kst::direct_target(x, target).
void direct_avg_pool3x3_add(const torch::Tensor& x, bool count_include_pad, const torch::Tensor& target);

// The scales of 3x3 pooling without counted padding: 1 / (in-image taps) along each axis of an h x w map, the column
// scale repeated for each of c channels (channels-last rows of w * c values).
void avg_pool3x3_scales(int64_t c, int64_t h, int64_t w, std::vector<float>& row_scale, std::vector<float>& col);

// The 3x3 pooling (stride 1, padding 1) of one channels-last image of h rows of w * c values into out, with the scales
// of avg_pool3x3_scales: the values direct_avg_pool3x3 computes. sums: 3 * w * c floats of the caller's. For passes
// that pool an image where they need it (kst::normalized_sum), so the pooled map is never written to memory.
void avg_pool3x3_image(const float* image, float* out, int64_t c, int64_t h, int64_t w, const float* row_scale,
                       const float* col, float* sums);

// 2x2 stride-2 average pooling of a map with even sides.
torch::Tensor direct_avg_pool2x2(const torch::Tensor& x);

// The 2x2 stride-2 pooling of one image of h rows of w * k values (k = c channels-last, 1 for an NCHW plane) into out
// (h / 2 rows of w / 2 * k values): the values direct_avg_pool2x2 computes. For a pass that has the image in cache
// (kst::normalized_sum), so the map is not read again to be pooled.
void avg_pool2x2_image(const float* image, float* out, int64_t k, int64_t h, int64_t w);
}  // namespace kst
