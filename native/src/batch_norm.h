// Batch norm with the batch's own statistics in KShotNas's kernels (batch_norm.cpp), used by kst_batch_norm.
#pragma once

#include "kst_torch.h"

#include <vector>

namespace kst {
// True when fast_batch_norm serves this call (training mode, i.e. batch statistics): no gradient wanted, float CPU
// input of at least 2 dimensions, weight and bias both given or both absent, running statistics both or neither.
bool fast_batch_norm_applies(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             const torch::Tensor& running_mean, const torch::Tensor& running_var);

// (x - mean) / sqrt(biased var + eps) * weight + bias over dims 0, 2, 3, ...; running statistics (when given) move by
// momentum toward the batch's mean and unbiased variance, as ATen's do. Not differentiable.
torch::Tensor fast_batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var, double momentum,
                              double eps);

// True when given_statistics_batch_norm serves this call (evaluation mode): as fast_batch_norm_applies, with both running
// statistics given and not requiring a gradient.
bool given_statistics_applies(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var);

// (x - mean) / sqrt(var + eps) * weight + bias with the given per-channel mean and variance, one pass (chunked scoring
// normalizes every chunk with the whole batch's statistics this way). Not differentiable.
torch::Tensor given_statistics_batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                          const torch::Tensor& running_mean, const torch::Tensor& running_var, double eps);

// How batch_norm_into writes: target = y or target += y, then (relu) target = max(target, 0).
struct Into {
  bool accumulate = false;
  bool relu = false;
};

// target = batch_norm(x) or target += batch_norm(x), then ReLU when asked, in the one pass that writes the normalization
// (target may be x itself: normalization in place). The target must be kst::direct_target(x, target) (memory_format.h);
// check x with the *_applies above. Batch statistics (training, moving the running statistics when given) or the given
// ones. Saves scoring a tensor's allocation and a pass through memory for each of the add and the ReLU. Not
// differentiable.
void batch_norm_into(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                     const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training, double momentum,
                     double eps, const torch::Tensor& target, Into mode);

// Per-channel mean and biased variance of x over dims 0, 2, 3, ... (the statistics fast_batch_norm normalizes with), in
// double, for merging the statistics of several chunks of one batch. Float CPU input of at least 2 dimensions.
void channel_moments(const torch::Tensor& x, double* mean, double* var, int64_t channels);
}  // namespace kst

namespace kst {
// How normalized_sum reads a term: as it is, batch-normalized (the batch's statistics, non-affine), or 3x3
// average-pooled (stride 1, padding 1, padding not counted: NAS-Bench-201's pooling edge).
enum class SumTerm : int32_t { as_is = 0, normalized = 1, avg_pool3x3 = 2 };

// target = t0 + t1 + ... (added left to right), each term read as kinds[i] says; then the ReLU when relu, or, when
// relu_copy is defined, target the sum and relu_copy its ReLU. Only terms[0] may be target itself (not pooled). One pass
// over memory for the whole sum after one statistics pass per normalized term, with channels-last terms pooled image by
// image as the pass goes (the pooled map is never stored): a cell node's incoming edges, where one call per edge wrote
// the node once each. When pooled is defined (even sides) it receives the 2x2 stride-2 average pooling of the sum (before the ReLU),
// pooled from each image while the pass has it in cache: a reduction's shortcut, which would read the sum again. Float
// CPU tensors without gradients; terms of another layout than the target's go through ATen's operations.
void normalized_sum(const std::vector<torch::Tensor>& terms, const std::vector<SumTerm>& kinds, double eps,
                    const torch::Tensor& target, bool relu, const torch::Tensor& relu_copy, const torch::Tensor& pooled);
}  // namespace kst
