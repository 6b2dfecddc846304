// Which memory layout the shim's own no-gradient kernels (batch_norm.cpp, pooling.cpp) read and write.
#pragma once

#include "kst_torch.h"

namespace kst {
// True for a 4-D tensor stored channels-last (N, H, W, C in memory), the layout no-gradient convolutions produce
// (kst_conv2d): the kernels keep it instead of copying to NCHW and back.
inline bool channels_last_4d(const torch::Tensor& x) {
  return x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

// x itself when it is channels-last 4-D or contiguous, else a contiguous NC(HW) copy.
inline torch::Tensor dense(const torch::Tensor& x) { return channels_last_4d(x) ? x : x.contiguous(); }

// True when a kernel reading kst::dense(x) can write its result straight into target: a float CPU tensor of x's sizes,
// dense in that layout (channels-last exactly when x is, else contiguous) and not wanting a gradient.
inline bool direct_target(const torch::Tensor& x, const torch::Tensor& target) {
  if (!target.defined() || !target.device().is_cpu() || target.scalar_type() != torch::kFloat || target.sizes() != x.sizes())
    return false;
  if (torch::GradMode::is_enabled() && target.requires_grad()) return false;
  return channels_last_4d(x) ? channels_last_4d(target) : target.is_contiguous();
}
}  // namespace kst
