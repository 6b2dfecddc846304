// Which memory layout the shim's own no-gradient kernels (batch_norm.cpp, pooling.cpp) read and write.
#pragma once

#include <torch/torch.h>

namespace kst {
// True for a 4-D tensor stored channels-last (N, H, W, C in memory), the layout no-gradient convolutions produce
// (kst_conv2d): the kernels keep it instead of copying to NCHW and back.
inline bool channels_last_4d(const torch::Tensor& x) {
  return x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

// x itself when it is channels-last 4-D or contiguous, else a contiguous NC(HW) copy.
inline torch::Tensor dense(const torch::Tensor& x) { return channels_last_4d(x) ? x : x.contiguous(); }
}  // namespace kst
